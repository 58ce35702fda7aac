import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { MYSQL_S3 } from './support/backends';
import { ADMIN, ADMIN_ENV } from './support/clients/accounts';
import { freePortBlock } from './support/private-services';
import { serverBuilt, ServerProcess, startServerProcess } from './support/server-process';

/**
 * Each replica keeps verified credentials and organization roles for a few seconds, so a
 * password (scrypt) is not re-hashed on every request. What that cache must never do is
 * keep a revoked credential alive: a change made through one process is refused there at
 * once and on the other within the cache's lifetime. The bound waited for here is far
 * longer than that lifetime; no time is asserted.
 */
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ADMIN_AUTH = basic(ADMIN.username, ADMIN.password);
const PASSWORD = 'first-password-123';
const GIVE_UP_MS = 60_000;

async function call(
  server: ServerProcess,
  method: string,
  p: string,
  authorization?: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(server.url + p, {
    method,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(body !== undefined && !(body instanceof Buffer)
        ? { 'content-type': 'application/json' }
        : {}),
    },
    body: body === undefined ? undefined : body instanceof Buffer ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** Asks until the answer is no longer `status`; returns the first other status (fails after GIVE_UP_MS). */
async function untilNot(ask: () => Promise<number>, status: number): Promise<number> {
  const deadline = Date.now() + GIVE_UP_MS;
  for (;;) {
    const got = await ask();
    if (got !== status) return got;
    if (Date.now() > deadline)
      throw new Error(`still ${status} after ${GIVE_UP_MS} ms: a revoked credential lives on`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeIf(
  serverBuilt() && MYSQL_S3.available,
  `the built server and ${MYSQL_S3.missing}`,
  'the credential cache on two replicas (MySQL + S3)',
  () => {
    let dataDir: string;
    let provisioned: Awaited<ReturnType<typeof MYSQL_S3.provision>>;
    let a: ServerProcess;
    let b: ServerProcess;

    const start = async (env: Record<string, string>) => {
      const server = startServerProcess({ ...env, PORT: String(await freePortBlock()) });
      await server.ready();
      return server;
    };
    const whoami = async (server: ServerProcess, authorization: string) =>
      (await call(server, 'GET', '/api/v1/user', authorization)).status;
    const newUser = async (username: string) => {
      const res = await call(a, 'POST', '/api/v1/admin/users', ADMIN_AUTH, {
        username,
        email: `${username}@example.com`,
        password: PASSWORD,
      });
      expect(res.status).toBe(201);
    };
    /** Signed in on both replicas, so both hold the credential in their cache. */
    const warm = async (authorization: string) => {
      for (const server of [a, b, a, b]) expect(await whoami(server, authorization)).toBe(200);
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-credcache-'));
      provisioned = await MYSQL_S3.provision(dataDir);
      const env = { ...provisioned.env, ...ADMIN_ENV, REGISTRY_LOG_LEVEL: 'warn' };
      a = await start(env);
      b = await start(env);
    });

    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await provisioned?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('a changed password stops working on the replica that changed it at once, and on the other within seconds', async () => {
      await newUser('pw-user');
      const old = basic('pw-user', PASSWORD);
      await warm(old);
      const changed = await call(a, 'PATCH', '/api/v1/admin/users/pw-user', ADMIN_AUTH, {
        password: 'second-password-456',
      });
      expect(changed.status).toBe(200);
      expect(await whoami(a, old)).toBe(401);
      expect(await untilNot(() => whoami(b, old), 200)).toBe(401);
      expect(await whoami(b, basic('pw-user', 'second-password-456'))).toBe(200);
    });

    it('a revoked access token stops working, as Bearer and as a Basic password, on both replicas', async () => {
      await newUser('token-user');
      const created = await call(
        a,
        'POST',
        '/api/v1/users/token-user/tokens',
        basic('token-user', PASSWORD),
        { name: 'ci', scopes: ['read:package', 'read:user'] },
      );
      expect(created.status).toBe(201);
      const { id, sha1 } = created.json as { id: number; sha1: string };
      const forms = [`Bearer ${sha1}`, basic('token-user', sha1), `token ${sha1}`];
      for (const form of forms) await warm(form);
      const revoked = await call(
        a,
        'DELETE',
        `/api/v1/users/token-user/tokens/${id}`,
        basic('token-user', PASSWORD),
      );
      expect(revoked.status).toBe(204);
      for (const form of forms) expect(await whoami(a, form)).toBe(401);
      for (const form of forms) expect(await untilNot(() => whoami(b, form), 200)).toBe(401);
    });

    it('a disabled and then a deleted user are refused on both replicas', async () => {
      await newUser('leaving-user');
      const auth = basic('leaving-user', PASSWORD);
      await warm(auth);
      const disabled = await call(a, 'PATCH', '/api/v1/admin/users/leaving-user', ADMIN_AUTH, {
        active: false,
      });
      expect(disabled.status).toBe(200);
      expect(await whoami(a, auth)).toBe(403);
      expect(await untilNot(() => whoami(b, auth), 200)).toBe(403);

      await newUser('deleted-user');
      const gone = basic('deleted-user', PASSWORD);
      await warm(gone);
      expect((await call(a, 'DELETE', '/api/v1/admin/users/deleted-user', ADMIN_AUTH)).status).toBe(
        204,
      );
      expect(await whoami(a, gone)).toBe(401);
      expect(await untilNot(() => whoami(b, gone), 200)).toBe(401);
    });

    it("a removed member loses a private organization's packages on both replicas", async () => {
      await newUser('member');
      const org = await call(a, 'POST', '/api/v1/orgs', ADMIN_AUTH, {
        username: 'hidden-org',
        visibility: 'private',
      });
      expect(org.status).toBe(201);
      const added = await call(a, 'PUT', '/api/v1/orgs/hidden-org/members/member', ADMIN_AUTH, {
        role: 'read',
      });
      expect(added.status).toBeLessThan(300);
      const file = '/api/packages/hidden-org/generic/secret/1.0.0/secret.txt';
      expect((await call(a, 'PUT', file, ADMIN_AUTH, Buffer.from('classified'))).status).toBe(201);
      const auth = basic('member', PASSWORD);
      const read = async (server: ServerProcess) => (await call(server, 'GET', file, auth)).status;
      for (const server of [a, b, a, b]) expect(await read(server)).toBe(200);
      const removed = await call(a, 'DELETE', '/api/v1/orgs/hidden-org/members/member', ADMIN_AUTH);
      expect(removed.status).toBe(204);
      // A private owner is hidden from a non-member: 404, not 403.
      expect(await read(a)).toBe(404);
      expect(await untilNot(() => read(b), 200)).toBe(404);
    });
  },
);
