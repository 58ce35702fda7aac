import type { KitRequest } from './http';

/** A published artifact: how to publish it, where to fetch it, what comes back. */
export interface KitArtifact {
  /** The publish request, without credentials (the kit adds the caller's). */
  upload: KitRequest;
  /** Path of the download (GET/HEAD) that returns {@link bytes}. */
  download: string;
  bytes: Buffer;
  /** The file name a `Content-Disposition: attachment` must carry, when the format sends one. */
  filename?: string;
}

/**
 * What a format tells the kit: its routes, artifacts and protocol details. Everything
 * else — owners, callers, the expected matrix, the checks — is the kit's.
 */
export interface FormatProfile {
  /** Label of the suite (`generic`, `container`, …). */
  name: string;
  /** The format's size-limit variable (`REGISTRY_LIMIT_SIZE_<TYPE>`); the kit sets it low. */
  sizeLimitEnv: string;
  /** The one `WWW-Authenticate` value every 401 must carry. */
  challenge(baseUrl: string): string;
  /**
   * A fresh, valid artifact for `owner`; `n` is unique within the suite, so each call
   * publishes something new (a new version, a new blob).
   */
  artifact(owner: string, n: number): Promise<KitArtifact>;
  /** Status of a successful publish (201 unless said otherwise). */
  uploadedStatus?: number;
  /** A publish the format must refuse for its content (status: `invalidStatus`, 400 by default). */
  invalidUpload(owner: string, n: number): Promise<KitRequest>;
  invalidStatus?: number;
  /** A publish of a valid artifact larger than `limit` bytes (must be a 413). */
  oversizedUpload(owner: string, n: number, limit: number): Promise<KitRequest>;
  /** The ETag a download of `bytes` carries. */
  etag(bytes: Buffer): string;
  /**
   * Checksum headers of a download: core's `X-Checksum-Md5/Sha1/Sha256` (send-blob) by
   * default, or the protocol's own.
   */
  checksumHeaders?(bytes: Buffer): Record<string, string>;
  /**
   * Protocols whose anonymous clients sign in with a credential of their own (the
   * container registry's anonymous token): the kit adds that caller to the matrix, where
   * it counts as anonymous, and expects every bare request to be challenged.
   */
  anonymousCredential?(baseUrl: string): Promise<Record<string, string>>;
  /**
   * Download-header checks that fail today because of a known bug in the format, named
   * by check (`nosniff`, `checksums`, `etag`, `range`, `head`) with the reason: the kit
   * still runs them, in a `known issue: …` block of their own.
   */
  knownIssues?: Partial<Record<HeaderCheck, string>>;
}

export type HeaderCheck = 'nosniff' | 'disposition' | 'checksums' | 'etag' | 'range' | 'head';
