/**
 * Pure parsing for the container registry: image names, references, digests and
 * manifests (OCI image-spec 1.1, Docker schema 2). No Nest, no database.
 */
import { checkName, NameGrammar, RegistryError } from '@wharf/packages-core';
import { OciError, OciErrorCode } from './container.errors';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

const IMAGE_MANIFESTS = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const INDEXES = new Set<string>([MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]);

/** Property names (docs/protocols/core.md §2: namespaced constants). */
export const PROP = {
  digest: 'container.digest',
  mediaType: 'container.mediatype',
  subject: 'container.subject',
  child: 'container.child',
} as const;

/** The internal version that holds an image's blob links (uploads and mounts). */
export const BLOBS_VERSION = '_blobs';
export const MANIFEST_FILE = 'manifest.json';
/** Registries should accept at least 4 MiB (OCI spec); Forgejo takes 10. */
export const MAX_MANIFEST_BYTES = 10 * 2 ** 20;

/*
 * The grammar of each coordinate (OCI distribution-spec "Pulling manifests"), applied through
 * core's checkName (which also refuses look-alike dots and slashes, percent-encoded paths,
 * control characters). Digests are not names: parseDigest matches them whole.
 */

// Each path component of a repository name; stricter than the OCI regex (no `__`, no runs
// of `-`), as Forgejo. The whole `{owner}/{image}` is at most 255 characters.
export const CONTAINER_IMAGE: NameGrammar = {
  what: 'repository name',
  pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
  rule: 'lower-case letters and digits, separated by single ".", "_" or "-", in "/"-separated components',
  allowSlash: true,
};
export const CONTAINER_TAG: NameGrammar = {
  what: 'tag',
  pattern: /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/,
  rule: 'at most 128 letters, digits and "._-", not starting with "." or "-"',
  maxLength: 128,
};
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const ANY_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ImageName {
  owner: string;
  /** lower-case, may contain `/` */
  image: string;
  /** `owner/image`, owner lower-cased: the form used in Location headers and documents */
  full: string;
}

/** `{owner}/{image…}` from the route: every segment a lower-case component (NAME_INVALID otherwise). */
export function parseImageName(owner: string, image: string): ImageName {
  const full = `${owner}/${image}`;
  if (!owner || full.length > 255)
    throw new OciError(OciErrorCode.NameInvalid, `invalid repository name ${full}`);
  asOciError(OciErrorCode.NameInvalid, () => checkName(image, CONTAINER_IMAGE));
  return { owner, image, full: `${owner.toLowerCase()}/${image}` };
}

/** A grammar's 400 in the OCI body clients read, with its message (which names the rule). */
function asOciError(code: OciErrorCode, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (err instanceof RegistryError) throw new OciError(code, err.message);
    throw err;
  }
}

export function isDigest(ref: string): boolean {
  return ANY_DIGEST.test(ref);
}

/** A sha256 digest as Wharf produces them; anything else is DIGEST_INVALID (or `code`). */
export function parseDigest(value: unknown, code = OciErrorCode.DigestInvalid): string {
  if (typeof value !== 'string' || !DIGEST.test(value))
    throw new OciError(code, `invalid or unsupported digest ${String(value ?? '')}`);
  return value;
}

export function sha256Of(digest: string): string {
  return digest.slice('sha256:'.length);
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: string };

/** A manifest reference: a digest (only sha256 is stored) or a tag. */
export function parseReference(ref: string): Reference {
  if (ref.includes(':'))
    return { kind: 'digest', digest: parseDigest(ref, OciErrorCode.ManifestUnknown) };
  asOciError(OciErrorCode.ManifestInvalid, () => checkName(ref, CONTAINER_TAG));
  // The internal version holding an image's blob links is no tag a client may name.
  if (ref.toLowerCase() === BLOBS_VERSION)
    throw new OciError(OciErrorCode.ManifestInvalid, `invalid tag: ${ref} is reserved`);
  return { kind: 'tag', tag: ref };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** What Wharf keeps about a manifest (version metadata). */
export interface ManifestInfo {
  mediaType: string;
  /** `image` (config + layers) or `index` (child manifests) */
  kind: 'image' | 'index';
  /** config and layers, in order, each once */
  blobs: Descriptor[];
  /** child manifests of an index */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** `artifactType`, else the config media type of an artifact (OCI 1.1 referrers rule) */
  artifactType?: string;
  annotations?: Record<string, string>;
}

/**
 * Parses a pushed manifest. The media type is the request's Content-Type when it names an
 * OCI or Docker type, else the body's `mediaType`; the body's, when present, must agree.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ManifestInfo {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new OciError(OciErrorCode.ManifestInvalid, 'manifest is not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new OciError(OciErrorCode.ManifestInvalid, 'manifest must be a JSON object');
  if (doc.schemaVersion !== 2)
    throw new OciError(OciErrorCode.ManifestInvalid, 'Schema version is not supported');
  const header = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const mediaType =
    header.startsWith('application/vnd.oci.') || header.startsWith('application/vnd.docker.')
      ? header
      : declared;
  if (!mediaType || (!IMAGE_MANIFESTS.has(mediaType) && !INDEXES.has(mediaType))) {
    throw new OciError(OciErrorCode.ManifestInvalid, 'MediaType not recognized');
  }
  if (declared && declared !== mediaType)
    throw new OciError(
      OciErrorCode.ManifestInvalid,
      `mediaType ${declared} does not match Content-Type ${mediaType}`,
    );
  const annotations = stringMap(doc.annotations, 'annotations');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : undefined;
  if (INDEXES.has(mediaType)) {
    const manifests = list(doc.manifests, 'manifests').map((d, i) =>
      descriptor(d, `manifests[${i}]`),
    );
    for (const child of manifests) {
      if (!IMAGE_MANIFESTS.has(child.mediaType) && !INDEXES.has(child.mediaType)) {
        throw new OciError(
          OciErrorCode.ManifestInvalid,
          `manifests: ${child.mediaType} is not a manifest media type`,
        );
      }
    }
    return { mediaType, kind: 'index', blobs: [], manifests, subject, artifactType, annotations };
  }
  const config = descriptor(doc.config, 'config');
  const layers =
    doc.layers === undefined
      ? []
      : list(doc.layers, 'layers').map((d, i) => descriptor(d, `layers[${i}]`));
  const seen = new Set<string>();
  const blobs = [config, ...layers].filter((d) => !seen.has(d.digest) && !!seen.add(d.digest));
  // OCI 1.1 referrers: without `artifactType`, an image manifest's artifact type is its config's media type.
  return {
    mediaType,
    kind: 'image',
    blobs,
    manifests: [],
    subject,
    artifactType: artifactType ?? config.mediaType,
    annotations,
  };
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value))
    throw new OciError(OciErrorCode.ManifestInvalid, `${what} must be an array`);
  return value;
}

function stringMap(value: unknown, what: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (
    !value ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new OciError(OciErrorCode.ManifestInvalid, `${what} must map strings to strings`);
  }
  return value as Record<string, string>;
}

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as Record<string, unknown>;
  if (
    !d ||
    typeof d !== 'object' ||
    typeof d.mediaType !== 'string' ||
    !Number.isSafeInteger(d.size) ||
    (d.size as number) < 0
  ) {
    throw new OciError(
      OciErrorCode.ManifestInvalid,
      `${what} must be a descriptor with mediaType, digest and size`,
    );
  }
  const digest = parseDigest(d.digest, OciErrorCode.ManifestInvalid);
  const out: Descriptor = { mediaType: d.mediaType, digest, size: d.size as number };
  if (typeof d.artifactType === 'string') out.artifactType = d.artifactType;
  const annotations = stringMap(d.annotations, `${what}.annotations`);
  if (annotations) out.annotations = annotations;
  if (d.platform && typeof d.platform === 'object')
    out.platform = d.platform as Descriptor['platform'];
  return out;
}

/** `Content-Range` of a PATCH: `<start>-<end>` (distribution's form), also with a `bytes` prefix. */
export function parseContentRange(
  header: string | undefined,
): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1]))
    throw new OciError(OciErrorCode.BlobUploadInvalid, `malformed Content-Range ${header}`);
  return { start: Number(m[1]), end: Number(m[2]) };
}
