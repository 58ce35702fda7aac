/** Pure builders of the documents /v2 serves: tag lists, the catalog, referrers indexes. */
import { Descriptor, MEDIA_TYPES } from './container.metadata';

export interface Page<T> {
  items: T[];
  /** the `Link` header value when another page exists */
  link?: string;
}

/**
 * One page of a sorted list (OCI end-8b): entries after `last`, at most `n`; `n=0` is an
 * empty page. The `Link` header is sent only when more entries exist (the spec's rule;
 * Forgejo sends it on every non-empty page).
 */
export function pageOf(
  sorted: string[],
  path: string,
  n: number | undefined,
  last: string | undefined,
): Page<string> {
  const start =
    last === undefined ? 0 : sorted.findIndex((t) => t.toLowerCase() > last.toLowerCase());
  const rest = start < 0 ? [] : sorted.slice(start);
  const items = n === undefined ? rest : rest.slice(0, n);
  const more = n !== undefined && n > 0 && rest.length > n;
  const link = more
    ? `<${path}?last=${encodeURIComponent(items[items.length - 1])}&n=${n}>; rel="next"`
    : undefined;
  return { items, link };
}

export function tagList(name: string, tags: string[]): { name: string; tags: string[] } {
  return { name, tags };
}

export function catalog(repositories: string[]): { repositories: string[] } {
  return { repositories };
}

/** A referrer as listed by the referrers API: the manifest's descriptor with its artifact type and annotations. */
export interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The referrers response: an OCI image index of descriptors (OCI end-12a). */
export function referrersIndex(referrers: Referrer[]): {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
} {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: referrers.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(r.annotations ? { annotations: r.annotations } : {}),
    })),
  };
}
