/*
 * Pure builders of the Simple Repository API (docs/protocols/pypi.md §4): PEP 503 HTML and PEP 691 JSON,
 * with the PEP 700 fields (versions, size, upload-time) and PEP 658/714 metadata hints.
 */

export interface SimpleFile {
  filename: string;
  /** Absolute download URL, without fragment. */
  url: string;
  sha256: string;
  size: number;
  uploadedUnix: number;
  requiresPython?: string;
  /** sha256 of the `.metadata` file served beside it (PEP 658), when there is one. */
  coreMetadataSha256?: string;
}

export interface SimpleProject {
  /** PEP 503-normalised name. */
  name: string;
  versions: string[];
  files: SimpleFile[];
}

export type SimpleFormat = 'json' | 'html' | 'text-html';

export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';

// PEP 700 is API 1.1; PEP 714's `core-metadata` keys are served too (1.1 allows extra keys).
const API_VERSION = '1.1';

const ACCEPTED: Record<string, SimpleFormat> = {
  [SIMPLE_JSON]: 'json',
  'application/vnd.pypi.simple.latest+json': 'json',
  [SIMPLE_HTML]: 'html',
  'application/vnd.pypi.simple.latest+html': 'html',
  'text/html': 'text-html',
};

/**
 * PEP 691 content negotiation: the acceptable type with the highest q-value (ties go to the
 * first listed), `text/html` when nothing is asked for or `*\/*` is; undefined → 406.
 */
export function negotiateSimpleFormat(
  accept: string | undefined,
  formatParam?: string,
): SimpleFormat | undefined {
  if (formatParam) return ACCEPTED[formatParam.toLowerCase()];
  if (!accept || !accept.trim()) return 'text-html';
  let best: { format: SimpleFormat; q: number } | undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const format =
      ACCEPTED[type] ??
      (type === '*/*' || type === 'text/*' || type === 'application/*'
        ? fallback(type)
        : undefined);
    if (format && (!best || q > best.q)) best = { format, q };
  }
  return best?.format;
}

function fallback(type: string): SimpleFormat {
  return type === 'application/*' ? 'json' : 'text-html';
}

export function contentTypeOf(format: SimpleFormat): string {
  return format === 'json'
    ? SIMPLE_JSON
    : format === 'html'
      ? `${SIMPLE_HTML}; charset=utf-8`
      : 'text/html; charset=utf-8';
}

/** `GET /simple/{project}/` as PEP 503 HTML. */
export function buildProjectHtml(project: SimpleProject): string {
  const links = project.files.map((f) => {
    const attrs = [`href="${escapeHtml(`${f.url}#sha256=${f.sha256}`)}"`];
    if (f.requiresPython) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
    if (f.coreMetadataSha256) {
      // PEP 714 renamed the attribute; pip < 23.2 only knows the old one, so both are sent.
      attrs.push(
        `data-dist-info-metadata="sha256=${f.coreMetadataSha256}"`,
        `data-core-metadata="sha256=${f.coreMetadataSha256}"`,
      );
    }
    return `<a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br>`;
  });
  return page(`Links for ${project.name}`, links);
}

/** `GET /simple/{project}/` as PEP 691 JSON. */
export function buildProjectJson(project: SimpleProject): Record<string, unknown> {
  return {
    meta: { 'api-version': API_VERSION },
    name: project.name,
    versions: project.versions,
    files: project.files.map((f) => {
      const file: Record<string, unknown> = {
        filename: f.filename,
        url: f.url,
        hashes: { sha256: f.sha256 },
      };
      if (f.requiresPython) file['requires-python'] = f.requiresPython;
      file.size = f.size;
      file['upload-time'] = new Date(f.uploadedUnix * 1000).toISOString();
      file.yanked = false;
      const meta = f.coreMetadataSha256 ? { sha256: f.coreMetadataSha256 } : false;
      file['core-metadata'] = meta;
      file['dist-info-metadata'] = meta;
      return file;
    }),
  };
}

/** The project page in the negotiated format, with its content type. */
export function renderProject(
  project: SimpleProject,
  format: SimpleFormat,
): { body: string; contentType: string } {
  return {
    body: format === 'json' ? JSON.stringify(buildProjectJson(project)) : buildProjectHtml(project),
    contentType: contentTypeOf(format),
  };
}

/** `GET /simple/` as HTML: one link per project. */
export function buildIndexHtml(projects: { name: string; url: string }[]): string {
  return page(
    'Simple index',
    projects.map((p) => `<a href="${escapeHtml(p.url)}">${escapeHtml(p.name)}</a><br>`),
  );
}

/** `GET /simple/` as PEP 691 JSON. */
export function buildIndexJson(projects: { name: string }[]): Record<string, unknown> {
  return {
    meta: { 'api-version': API_VERSION },
    projects: projects.map((p) => ({ name: p.name })),
  };
}

function page(title: string, lines: string[]): string {
  const t = escapeHtml(title);
  return `<!DOCTYPE html>\n<html>\n<head><meta name="pypi:repository-version" content="${API_VERSION}"><title>${t}</title></head>\n<body>\n<h1>${t}</h1>\n${lines.join('\n')}\n</body>\n</html>\n`;
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A URL path segment that keeps `!` and `+` (epochs, local versions) readable; they are legal in paths. */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/%2B/gi, '+');
}
