import { Catch } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  AppConfig,
  describeError,
  ProtocolErrorFilter,
  RegistryError,
  RegistryErrorCode,
} from '@wharf/packages-core';

/** OCI distribution-spec error codes (plus distribution's UNKNOWN and UNAVAILABLE). */
export enum OciErrorCode {
  BlobUnknown = 'BLOB_UNKNOWN',
  BlobUploadInvalid = 'BLOB_UPLOAD_INVALID',
  BlobUploadUnknown = 'BLOB_UPLOAD_UNKNOWN',
  DigestInvalid = 'DIGEST_INVALID',
  ManifestBlobUnknown = 'MANIFEST_BLOB_UNKNOWN',
  ManifestInvalid = 'MANIFEST_INVALID',
  ManifestUnknown = 'MANIFEST_UNKNOWN',
  NameInvalid = 'NAME_INVALID',
  NameUnknown = 'NAME_UNKNOWN',
  SizeInvalid = 'SIZE_INVALID',
  Unauthorized = 'UNAUTHORIZED',
  Denied = 'DENIED',
  Unsupported = 'UNSUPPORTED',
  TooManyRequests = 'TOOMANYREQUESTS',
  Unavailable = 'UNAVAILABLE',
  Unknown = 'UNKNOWN',
}

/** Each code once, with its status (OCI spec table; 501 for UNSUPPORTED as Forgejo). */
const OCI_STATUS: Record<OciErrorCode, number> = {
  [OciErrorCode.BlobUnknown]: 404,
  [OciErrorCode.BlobUploadInvalid]: 400,
  [OciErrorCode.BlobUploadUnknown]: 404,
  [OciErrorCode.DigestInvalid]: 400,
  [OciErrorCode.ManifestBlobUnknown]: 400,
  [OciErrorCode.ManifestInvalid]: 400,
  [OciErrorCode.ManifestUnknown]: 404,
  [OciErrorCode.NameInvalid]: 400,
  [OciErrorCode.NameUnknown]: 404,
  [OciErrorCode.SizeInvalid]: 400,
  [OciErrorCode.Unauthorized]: 401,
  [OciErrorCode.Denied]: 403,
  [OciErrorCode.Unsupported]: 501,
  [OciErrorCode.TooManyRequests]: 429,
  [OciErrorCode.Unavailable]: 503,
  [OciErrorCode.Unknown]: 500,
};

/** How a core error reads on /v2 (its status is kept); a new core code without an entry does not compile. */
const FROM_CORE: Record<RegistryErrorCode, OciErrorCode> = {
  [RegistryErrorCode.InvalidArgument]: OciErrorCode.BlobUploadInvalid,
  [RegistryErrorCode.InvalidArtifact]: OciErrorCode.ManifestInvalid,
  [RegistryErrorCode.Unauthorized]: OciErrorCode.Unauthorized,
  [RegistryErrorCode.Forbidden]: OciErrorCode.Denied,
  [RegistryErrorCode.NotFound]: OciErrorCode.NameUnknown,
  [RegistryErrorCode.Conflict]: OciErrorCode.Denied,
  [RegistryErrorCode.PayloadTooLarge]: OciErrorCode.SizeInvalid,
  // The spec's code for "the registry refuses this operation"; clients print its message.
  [RegistryErrorCode.QuotaExceeded]: OciErrorCode.Denied,
  [RegistryErrorCode.RangeNotSatisfiable]: OciErrorCode.BlobUploadInvalid,
  [RegistryErrorCode.TooManyRequests]: OciErrorCode.TooManyRequests,
  [RegistryErrorCode.Unavailable]: OciErrorCode.Unavailable,
  // No OCI code for a full store; UNAVAILABLE tells clients to retry later (with the 507).
  [RegistryErrorCode.InsufficientStorage]: OciErrorCode.Unavailable,
  [RegistryErrorCode.Internal]: OciErrorCode.Unknown,
};

/** An error with an OCI code; `status` overrides the table (413 for an oversized manifest, 416 for a chunk out of order). */
export class OciError extends Error {
  constructor(
    readonly code: OciErrorCode,
    message = '',
    readonly options: { status?: number; detail?: unknown } = {},
  ) {
    super(message);
    this.name = 'OciError';
  }

  get status(): number {
    return this.options.status ?? OCI_STATUS[this.code];
  }
}

/** The one challenge (issue 4): a second one, or a Basic one, breaks Renovate and Docker 26. */
export function bearerChallenge(config: AppConfig): string {
  return `Bearer realm="${config.baseUrl}/v2/token",service="container_registry",scope="*"`;
}

export const API_VERSION_HEADER = ['Docker-Distribution-Api-Version', 'registry/2.0'] as const;

interface Rendered {
  status: number;
  code: OciErrorCode;
  message: string;
  detail?: unknown;
}

function render(err: unknown): Rendered {
  if (err instanceof OciError)
    return { status: err.status, code: err.code, message: err.message, detail: err.options.detail };
  const described = describeError(err);
  if (described.error instanceof RegistryError) {
    return {
      status: described.status,
      code: FROM_CORE[described.error.code],
      message: described.message,
    };
  }
  if (described.status === 404)
    return { status: 404, code: OciErrorCode.NameUnknown, message: described.message };
  if (described.status === 401)
    return { status: 401, code: OciErrorCode.Unauthorized, message: '' };
  return {
    status: described.status,
    code: described.status >= 500 ? OciErrorCode.Unknown : OciErrorCode.Unsupported,
    message: described.message,
  };
}

/**
 * Renders every error on /v2 as the OCI body `{"errors":[{code,message,detail?}]}` on
 * core's filter skeleton (logging, a response already streaming, Retry-After). A 401
 * carries exactly the Bearer challenge and the bare UNAUTHORIZED body that clients match.
 */
@Catch()
export class OciErrorFilter extends ProtocolErrorFilter {
  constructor(private readonly config: AppConfig) {
    super('container');
  }

  protected override describe(err: unknown): { status: number; message: string } {
    return render(err);
  }

  protected render(res: Response, status: number, message: string, err: unknown, req: Request) {
    const { code, detail } = render(err);
    res.setHeader(...API_VERSION_HEADER);
    const entry: Record<string, unknown> = { code, message: status === 401 ? '' : message };
    if (detail !== undefined && status !== 401) entry.detail = detail;
    if (status === 401) res.setHeader('WWW-Authenticate', bearerChallenge(this.config));
    else res.removeHeader('WWW-Authenticate');
    const body = JSON.stringify({ errors: [entry] });
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    // A request body the handler never read (e.g. a refused PATCH) is drained, not left hanging.
    if (!req.readableEnded) req.resume();
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
