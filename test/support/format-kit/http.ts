import http from 'node:http';

/** One request a format profile asks the kit to send. */
export interface KitRequest {
  method: string;
  /** Path and query, from the server root (`/api/packages/…`, `/v2/…`). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

export interface KitResponse {
  status: number;
  /** Every header line as sent, names lower-cased, duplicates kept. */
  raw: [string, string][];
  body: Buffer;
  /** Every value of one header (empty when absent). */
  all(name: string): string[];
  /** The single value of a header, undefined when absent (joined when repeated). */
  header(name: string): string | undefined;
}

/**
 * Sends one request and keeps the response's header lines as they came: supertest and
 * fetch merge repeated headers, and a second `WWW-Authenticate` is exactly what the kit
 * must be able to count.
 */
export function send(base: string, req: KitRequest): Promise<KitResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (req.body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
      headers['Content-Length'] = String(req.body.length);
    // The path goes out as written: a URL string would be normalised first (`/a/./b` → `/a/b`,
    // `/a/../b` → `/b`), and dot segments are exactly what the hostile corpus sends.
    const out = http.request(base, { method: req.method, headers, path: req.path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const raw: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          raw.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
        const all = (name: string) =>
          raw.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v);
        resolve({
          status: res.statusCode ?? 0,
          raw,
          body: Buffer.concat(chunks),
          all,
          header: (name) => (all(name).length ? all(name).join(', ') : undefined),
        });
      });
    });
    // A server may answer a refused upload before reading its body and close the socket;
    // the response that already arrived is what the test is about.
    out.on('error', reject);
    out.end(req.body);
  });
}

/** A multipart/form-data body, built by hand so the kit sends exactly these bytes. */
export function multipart(
  fields: Record<string, string>,
  file: { field: string; filename: string; content: Buffer },
): { body: Buffer; contentType: string } {
  const boundary = `----wharf-kit-${Math.random().toString(36).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file.content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

export const basicAuth = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
