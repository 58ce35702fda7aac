/**
 * The server's memory while a client uploads and downloads one large file over HTTP:
 * starts the built server (`npm run build` first) as its own process, PUTs BENCH_SIZE
 * bytes (default 2 GiB) to the generic registry, GETs them back, and samples the
 * server's RSS from /proc every 100 ms. Prints MiB/s and the server's peak RSS; the bar
 * is under 200 MiB whatever the size.
 *
 *   npm run build && npm run bench:http-memory
 *   BENCH_ENV='{"REGISTRY_DB_URL":"mysql://…","REGISTRY_STORAGE":"s3",…}' npm run bench:http-memory
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const MiB = 2 ** 20;
const size = Number(process.env.BENCH_SIZE ?? 2048 * MiB);
const port = 30000 + Math.floor(Math.random() * 10000);
const auth = 'Basic ' + Buffer.from('bench:bench-password-1').toString('base64');

function body(total: number): Readable {
  const block = Buffer.from(createHash('sha512').update('wharf').digest('hex').repeat(1024)); // 128 KiB
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(block.length, total - sent);
      sent += n;
      this.push(n === block.length ? block : block.subarray(0, n));
    },
  });
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

function request(
  method: string,
  urlPath: string,
  upload?: Readable,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        headers: { authorization: auth, ...(upload ? { 'content-length': size } : {}) },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (upload) pipeline(upload, req).catch(reject);
    else req.end();
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-'));
  const env = {
    PATH: process.env.PATH!,
    PORT: String(port),
    REGISTRY_DATA_DIR: dataDir,
    REGISTRY_LOG_LEVEL: 'warn',
    REGISTRY_ADMIN_USERNAME: 'bench',
    REGISTRY_ADMIN_PASSWORD: 'bench-password-1',
    ...(process.env.BENCH_ENV ? JSON.parse(process.env.BENCH_ENV) : {}),
  };
  const server = spawn(
    process.execPath,
    [path.resolve(__dirname, '../dist/apps/registry/main.js')],
    { env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(server.pid!))), 100);
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await request('GET', '/readyz')).status === 200) break;
      } catch {
        if (i > 100) throw new Error('server did not start');
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const idle = rssMiB(server.pid!);
    let t0 = performance.now();
    const put = await request('PUT', '/api/packages/bench/generic/big/1.0.0/big.bin', body(size));
    const upSeconds = (performance.now() - t0) / 1000;
    if (put.status !== 201) throw new Error(`upload answered ${put.status}`);
    const peakUpload = peak;
    t0 = performance.now();
    const get = await request('GET', '/api/packages/bench/generic/big/1.0.0/big.bin');
    const downSeconds = (performance.now() - t0) / 1000;
    if (get.bytes !== size) throw new Error(`downloaded ${get.bytes} of ${size} bytes`);
    console.log(
      JSON.stringify({
        sizeMiB: size / MiB,
        uploadMiBps: +(size / MiB / upSeconds).toFixed(1),
        downloadMiBps: +(size / MiB / downSeconds).toFixed(1),
        serverIdleRssMiB: +idle.toFixed(1),
        serverPeakRssUploadMiB: +peakUpload.toFixed(1),
        serverPeakRssMiB: +peak.toFixed(1),
      }),
    );
  } finally {
    clearInterval(sampler);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
