/**
 * Container registry throughput and memory over HTTP: pushes a BENCH_SIZE layer (default
 * 1 GiB) monolithically and in 16 MiB chunks, pulls it back, then pushes and pulls 2,000
 * small blobs. Prints MB/s, blobs/s and the peak RSS of the process (server and client
 * share it; both stream, so it stays flat whatever the size).
 *
 *   npx ts-node -r tsconfig-paths/register bench/container-push-pull.bench.ts
 *   BENCH_BACKEND=mysql+s3 BENCH_SIZE=268435456 npx ts-node -r tsconfig-paths/register bench/container-push-pull.bench.ts
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { BACKENDS } from '@wharf/packages-core/testing/backends';
import { startTestApp } from '../test/support/test-app';
import { ADMIN_ENV, createUser, PASSWORD } from '../test/support/clients/accounts';
import { digestOf, generated } from './oci-load';

const MiB = 2 ** 20;
const size = Number(process.env.BENCH_SIZE ?? 1024 * MiB);
const chunkSize = 16 * MiB;
const smallCount = Number(process.env.BENCH_SMALL ?? 2000);
const backend = BACKENDS.find((b) => b.name === (process.env.BENCH_BACKEND ?? 'sqlite+fs'))!;

function call(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: Readable,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; bytes: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      { method, headers: { Authorization: `Bearer ${token}`, ...headers } },
      (res) => {
        const h = createHash('sha256');
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          h.update(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            bytes,
            sha256: `sha256:${h.digest('hex')}`,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

function expectStatus(r: { status: number }, status: number, what: string): void {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}, expected ${status}`);
}

async function main(): Promise<void> {
  if (!backend?.available)
    throw new Error(`backend ${process.env.BENCH_BACKEND} is not configured`);
  const t = await startTestApp(backend, ADMIN_ENV);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const mbps = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(1);
  const report = (line: string) =>
    console.log(`${line.padEnd(44)} peak RSS ${(peak / MiB).toFixed(0)} MiB`);
  try {
    await createUser(t.url, 'bench');
    const token = (await (
      await fetch(`${t.url}/v2/token`, {
        headers: { Authorization: `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}` },
      })
    ).json()) as { token: string };
    const auth = token.token;
    const name = '/v2/bench/big';
    console.log(
      `container bench on ${backend.name}: ${(size / MiB).toFixed(0)} MiB layer, ${smallCount} small blobs`,
    );

    const mono = await digestOf('mono', size);
    let t0 = performance.now();
    let r = await call(
      t.url,
      'POST',
      `${name}/blobs/uploads/?digest=${mono}`,
      auth,
      generated('mono', size),
      { 'Content-Length': String(size), 'Content-Type': 'application/octet-stream' },
    );
    expectStatus(r, 201, 'monolithic push');
    report(`push monolithic   ${mbps(size, performance.now() - t0)} MB/s`);

    t0 = performance.now();
    r = await call(t.url, 'GET', `${name}/blobs/${mono}`, auth);
    if (r.sha256 !== mono || r.bytes !== size) throw new Error('pulled bytes differ');
    report(`pull              ${mbps(size, performance.now() - t0)} MB/s`);

    const chunked = await digestOf('chunked', size);
    t0 = performance.now();
    r = await call(t.url, 'POST', `${name}/blobs/uploads/`, auth);
    expectStatus(r, 202, 'start session');
    const location = r.headers.location!;
    for (let offset = 0; offset < size; offset += chunkSize) {
      const n = Math.min(chunkSize, size - offset);
      r = await call(t.url, 'PATCH', location, auth, generated('chunked', n, offset), {
        'Content-Range': `${offset}-${offset + n - 1}`,
        'Content-Length': String(n),
        'Content-Type': 'application/octet-stream',
      });
      expectStatus(r, 202, `chunk at ${offset}`);
    }
    const patched = performance.now() - t0;
    r = await call(t.url, 'PUT', `${location}?digest=${chunked}`, auth);
    expectStatus(r, 201, 'close session');
    report(
      `push 16 MiB chunks ${mbps(size, performance.now() - t0)} MB/s (PATCHes ${mbps(size, patched)})`,
    );

    t0 = performance.now();
    const digests: string[] = [];
    const queue = Array.from({ length: smallCount }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const data = Buffer.from(`small blob ${i} `.repeat(64));
        const d = `sha256:${createHash('sha256').update(data).digest('hex')}`;
        const res = await call(
          t.url,
          'POST',
          `/v2/bench/small/blobs/uploads/?digest=${d}`,
          auth,
          Readable.from([data]),
          { 'Content-Length': String(data.length) },
        );
        expectStatus(res, 201, 'small push');
        digests.push(d);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    report(
      `push small        ${(smallCount / ((performance.now() - t0) / 1000)).toFixed(0)} blobs/s`,
    );
    t0 = performance.now();
    const pulls = [...digests];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let d = pulls.shift(); d !== undefined; d = pulls.shift())
          expectStatus(
            await call(t.url, 'GET', `/v2/bench/small/blobs/${d}`, auth),
            200,
            'small pull',
          );
      }),
    );
    report(
      `pull small        ${(smallCount / ((performance.now() - t0) / 1000)).toFixed(0)} blobs/s`,
    );
  } finally {
    clearInterval(sampler);
    await t.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
