import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Request bodies the server has not read yet (issue 11): `Expect: 100-continue` is
 * answered only after credentials, permission and the declared size passed, and a
 * refusal sent before the body was read closes the connection instead of leaving a
 * keep-alive client to be reset on its next request.
 */
interface Outcome {
  status: number;
  continued: boolean;
  connection?: string;
  body: string;
}

const BASIC = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** A PUT that announces `size` bytes with Expect and sends them only after `100 Continue`. */
function putWithExpect(url: string, path: string, body: Buffer, auth?: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const req = http.request(new URL(path, url), {
      method: 'PUT',
      agent: false,
      headers: {
        expect: '100-continue',
        'content-length': body.length,
        ...(auth ? { authorization: auth } : {}),
      },
    });
    req.on('continue', () => {
      continued = true;
      req.end(body);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          continued,
          connection: res.headers.connection,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      // The body was never sent: finish our side so the socket can close.
      if (!continued) req.destroy();
    });
    req.on('error', (err) => (continued ? reject(err) : undefined));
    req.flushHeaders();
  });
}

describeEachBackend('request bodies not read yet', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_LIMIT_SIZE_GENERIC: '1 MiB' });
  });
  afterAll(async () => t?.close());

  it('keeps idle keep-alive connections 65 s, past the 60 s of common proxies, and says so', async () => {
    const res = await fetch(new URL('/healthz', t.url));
    await res.arrayBuffer();
    expect(res.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('answers an Expect without credentials with 401 and never asks for the body', async () => {
    const out = await putWithExpect(
      t.url,
      '/api/packages/root/generic/p/1.0.0/a.bin',
      randomBytes(512 * 1024),
    );
    expect(out.status).toBe(401);
    expect(out.continued).toBe(false);
    expect(out.connection).toBe('close');
  });

  it('refuses a declared size over the limit before 100 Continue', async () => {
    const out = await putWithExpect(
      t.url,
      '/api/packages/root/generic/p/1.0.0/big.bin',
      randomBytes(2 * 1024 * 1024),
      BASIC,
    );
    expect(out.status).toBe(413);
    expect(out.continued).toBe(false);
  });

  it('sends 100 Continue to an authorised upload and stores every byte', async () => {
    const body = randomBytes(300 * 1024);
    const out = await putWithExpect(
      t.url,
      '/api/packages/root/generic/p/1.0.0/ok.bin',
      body,
      BASIC,
    );
    expect(out).toMatchObject({ status: 201, continued: true });
    const res = await fetch(`${t.url}/api/packages/root/generic/p/1.0.0/ok.bin`, {
      headers: { authorization: BASIC },
    });
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
  });

  it('closes a keep-alive connection refused mid-body, and the next request gets its answer', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await new Promise<{ status: number; connection?: string }>(
        (resolve, reject) => {
          const req = http.request(`${t.url}/api/packages/root/generic/p/1.0.0/x.bin`, {
            method: 'PUT',
            agent,
            headers: { 'content-length': 4 * 1024 * 1024 },
          });
          req.on('response', (res) => {
            res.resume();
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }),
            );
          });
          req.on('error', reject);
          req.write(randomBytes(64 * 1024));
        },
      );
      expect(refused).toEqual({ status: 401, connection: 'close' });
      const next = await new Promise<number>((resolve, reject) => {
        http
          .get(
            `${t.url}/api/packages/root/generic/p/1.0.0/ok.bin`,
            { agent, headers: { authorization: BASIC } },
            (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            },
          )
          .on('error', reject);
      });
      expect(next).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
