import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Every byte a client sends is stored, however the body arrives: in the first packet
 * with the headers (read before any handler runs), or trickling in slowly. A regression
 * test for a request logger whose 'data' listener silently dropped early chunks.
 */
function upload(url: string, path: string, chunks: Buffer[], delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const req = http.request(
      target,
      {
        method: 'PUT',
        headers: {
          'content-length': total,
          authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    (async () => {
      for (const chunk of chunks) {
        req.write(chunk);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
      req.end();
    })().catch(reject);
  });
}

async function downloadSha256(url: string, path: string): Promise<{ sha: string; size: number }> {
  const res = await fetch(new URL(path, url));
  const body = Buffer.from(await res.arrayBuffer());
  return { sha: createHash('sha256').update(body).digest('hex'), size: body.length };
}

describeEachBackend('upload integrity', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
  });
  afterAll(async () => t?.close());

  it.each([
    ['one byte in the header packet', [randomBytes(1)], 0],
    ['100 KiB at once', [randomBytes(100 * 1024)], 0],
    [
      '12 MiB in 48 chunks as fast as possible',
      Array.from({ length: 48 }, () => randomBytes(256 * 1024)),
      0,
    ],
    ['1 MiB trickling in 16 chunks', Array.from({ length: 16 }, () => randomBytes(64 * 1024)), 25],
  ])('%s round-trips byte for byte', async (label, chunks, delay) => {
    const path = `/api/packages/${ADMIN.username}/generic/integrity/${label.replace(/\W+/g, '-')}/data.bin`;
    expect(await upload(t.url, path, chunks as Buffer[], delay as number)).toBe(201);
    const sent = Buffer.concat(chunks as Buffer[]);
    expect(await downloadSha256(t.url, path)).toEqual({
      sha: createHash('sha256').update(sent).digest('hex'),
      size: sent.length,
    });
  });
});
