/**
 * What a package page shows of a version's metadata, read from whatever the format
 * stored (each format's metadata JSON has its own shape; these are the names they share).
 * Pure: no format is imported, unknown shapes give an empty summary.
 */
export interface MetadataSummary {
  description?: string;
  license?: string;
  homepage?: string;
  dependencies: string[];
  /** markdown */
  readme?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : undefined;

function first(sources: Json[], keys: string[]): unknown {
  for (const source of sources)
    for (const key of keys)
      if (source[key] !== undefined && source[key] !== null) return source[key];
  return undefined;
}

function licenseText(value: unknown): string | undefined {
  if (Array.isArray(value))
    return (
      value
        .map((v) => licenseText(v))
        .filter(Boolean)
        .join(', ') || undefined
    );
  if (isObject(value)) return text(value.type) ?? text(value.name);
  return text(value);
}

function dependencyList(value: unknown): string[] {
  if (Array.isArray(value))
    return value.flatMap((d) => {
      if (typeof d === 'string') return [d];
      if (!isObject(d)) return [];
      const name =
        text(d.name) ??
        text(d.id) ??
        text(d.artifactId && d.groupId ? `${d.groupId}:${d.artifactId}` : undefined);
      const range = text(d.version) ?? text(d.version_req) ?? text(d.req) ?? text(d.range);
      if (name) return [range ? `${name} ${range}` : name];
      return dependencyList(d.dependencies);
    });
  if (isObject(value))
    return Object.entries(value).map(([name, range]) =>
      typeof range === 'string' && range ? `${name} ${range}` : name,
    );
  return [];
}

export function summarizeMetadata(metadata: unknown): MetadataSummary {
  if (!isObject(metadata)) return { dependencies: [] };
  // npm keeps the client's manifest under `manifest`; most formats keep fields at the top.
  const sources = [metadata, ...(isObject(metadata.manifest) ? [metadata.manifest] : [])];
  const description = text(first(sources, ['summary', 'description']));
  const longDescription = text(first(sources, ['readme', 'long_description', 'longDescription']));
  const body = text(first(sources, ['description']));
  return {
    description: description && description.length <= 500 ? description : undefined,
    license: licenseText(first(sources, ['license', 'licenses', 'licenseExpression'])),
    homepage: safeUrl(first(sources, ['homepage', 'projectUrl', 'project_url', 'home', 'url'])),
    dependencies: dependencyList(
      first(sources, ['dependencies', 'deps', 'requires_dist', 'requiresDist', 'dependencyGroups']),
    ).slice(0, 500),
    readme: longDescription ?? (body && body.length > 500 ? body : undefined),
  };
}

/** Only http(s) links become links; anything else (javascript:, data:) is dropped. */
export function safeUrl(value: unknown): string | undefined {
  const raw = text(value);
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
