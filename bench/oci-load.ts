/**
 * The client side of the OCI benches: deterministic bodies, one HTTP call with an
 * optional streamed body, and the loads of issue 12 written against any registry
 * (CNCF distribution and Wharf get exactly the same requests).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';

export const MiB = 2 ** 20;

/** Keep-alive, as every real client uses: the benches measure the server, not TCP set-up. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** `total` deterministic bytes from `seed`, produced 128 KiB at a time (never held whole). */
export function generated(seed: string, total: number, offset = 0): Readable {
  const block = Buffer.from(createHash('sha512').update(seed).digest('hex').repeat(1024)); // 128 KiB
  let pos = offset;
  const end = offset + total;
  return new Readable({
    read() {
      if (pos >= end) return void this.push(null);
      const start = pos % block.length;
      const n = Math.min(block.length - start, end - pos);
      pos += n;
      this.push(block.subarray(start, start + n));
    },
  });
}

export async function digestOf(seed: string, total: number): Promise<string> {
  const h = createHash('sha256');
  for await (const c of generated(seed, total)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

export interface CallResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: number;
  /** set when `hash` was asked */
  sha256?: string;
  text: string;
}

/** One request; the response body is counted (and hashed when asked), its first KiB kept as text. */
export function call(
  base: string,
  method: string,
  path: string,
  authorization: string | undefined,
  body?: Readable | Buffer,
  headers: Record<string, string> = {},
  hash = false,
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const url = /^https?:/.test(path) ? path : `${base}${path}`;
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { ...(authorization ? { Authorization: authorization } : {}), ...headers },
      },
      (res) => {
        const h = hash ? createHash('sha256') : undefined;
        let bytes = 0;
        let text = '';
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          h?.update(c);
          if (text.length < 1024) text += c.toString('utf8', 0, Math.min(c.length, 1024));
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            bytes,
            sha256: h && `sha256:${h.digest('hex')}`,
            text,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

export function expectStatus(r: CallResult, status: number, what: string): void {
  if (r.status !== status)
    throw new Error(`${what}: HTTP ${r.status}, expected ${status}: ${r.text.slice(0, 300)}`);
}

/** A registry as the loads see it: where it is and what to send as Authorization. */
export interface Target {
  base: string;
  /** repository prefix, e.g. `bench/` (Wharf's owner) or `` */
  repo: (name: string) => string;
  auth?: () => string;
}

/** The upload URL a POST answered with, absolute. */
function uploadUrl(t: Target, r: CallResult): string {
  const loc = r.headers.location;
  if (!loc) throw new Error(`no Location in ${r.status}`);
  return new URL(loc, t.base).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

/** POST a session, then PUT the whole body with `?digest=` (how docker, skopeo and containerd push a blob they know). */
export async function pushWhole(
  t: Target,
  name: string,
  digest: string,
  size: number,
  body: () => Readable | Buffer,
): Promise<void> {
  const start = await call(t.base, 'POST', `/v2/${t.repo(name)}/blobs/uploads/`, t.auth?.());
  expectStatus(start, 202, 'start upload');
  const done = await call(
    t.base,
    'PUT',
    withDigest(uploadUrl(t, start), digest),
    t.auth?.(),
    body(),
    {
      'Content-Length': String(size),
      'Content-Type': 'application/octet-stream',
    },
  );
  expectStatus(done, 201, 'monolithic PUT');
}

/** POST a session, PATCH `chunk`-byte pieces with Content-Range, then PUT `?digest=`. */
export async function pushChunked(
  t: Target,
  name: string,
  seed: string,
  digest: string,
  size: number,
  chunk: number,
): Promise<void> {
  let r = await call(t.base, 'POST', `/v2/${t.repo(name)}/blobs/uploads/`, t.auth?.());
  expectStatus(r, 202, 'start upload');
  let location = uploadUrl(t, r);
  for (let offset = 0; offset < size; offset += chunk) {
    const n = Math.min(chunk, size - offset);
    r = await call(t.base, 'PATCH', location, t.auth?.(), generated(seed, n, offset), {
      'Content-Range': `${offset}-${offset + n - 1}`,
      'Content-Length': String(n),
      'Content-Type': 'application/octet-stream',
    });
    expectStatus(r, 202, `chunk at ${offset}`);
    location = uploadUrl(t, r);
  }
  r = await call(t.base, 'PUT', withDigest(location, digest), t.auth?.());
  expectStatus(r, 201, 'close chunked upload');
}

/** GETs a blob; returns the bytes received (the body is counted, not hashed: the client must not be the bottleneck). */
export async function pull(t: Target, name: string, digest: string): Promise<number> {
  const r = await call(t.base, 'GET', `/v2/${t.repo(name)}/blobs/${digest}`, t.auth?.());
  expectStatus(r, 200, 'pull');
  return r.bytes;
}

/** Runs `work(i)` for i in [0, count) with `concurrency` in flight. */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await work(i);
    }),
  );
}

/** Runs `work` with `concurrency` in flight for `seconds`; returns how many completed. */
export async function forSeconds(
  seconds: number,
  concurrency: number,
  work: () => Promise<void>,
): Promise<number> {
  let done = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return done;
}

/** A small image (config + one layer) pushed under `tag`; returns the manifest's digest. */
export async function pushImage(t: Target, name: string, tag: string): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: {} }));
  const layer = Buffer.from(`layer of ${name}\n`.repeat(256));
  const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  for (const b of [config, layer]) await pushWhole(t, name, sha(b), b.length, () => b);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: sha(layer),
          size: layer.length,
        },
      ],
    }),
  );
  const r = await call(
    t.base,
    'PUT',
    `/v2/${t.repo(name)}/manifests/${tag}`,
    t.auth?.(),
    manifest,
    {
      'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
    },
  );
  expectStatus(r, 201, 'manifest PUT');
  return sha(manifest);
}
