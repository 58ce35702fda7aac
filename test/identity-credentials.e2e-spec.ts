import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { AdminBootstrapService, LOGIN_MAX_FAILURES, UserService } from '@wharf/auth';
import { basic, bearer, call, ProbeModule, publish } from './identity-helpers';
import { describeEachBackend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';

const ADMIN_ENV = { REGISTRY_ADMIN_USERNAME: 'root', REGISTRY_ADMIN_PASSWORD: 'root-password-1' };
const ADMIN = basic('root', 'root-password-1');
const PW = 'pass:word:with:colons';

/** Every credential form, the sign-in rate limit, bootstrap, REGISTRY_REQUIRE_SIGNIN, and the curl script. */
describeEachBackend('identity: credentials', (backend) => {
  let t: TestApp;
  let token: string;
  const probe = (headers: Record<string, string>, owner = 'alice') =>
    call(t.url, 'GET', `/api/packages/${owner}/test/probe`, headers);

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV, { extraModules: [ProbeModule] });
    expect(
      (
        await call(t.url, 'POST', '/api/v1/admin/users', ADMIN, {
          username: 'alice',
          email: 'a@example.com',
          password: PW,
        })
      ).status,
    ).toBe(201);
    token = (
      await call(t.url, 'POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
        name: 't',
        scopes: ['read:package'],
      })
    ).json().sha1;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts every documented form, all resolving to the same user', async () => {
    const forms: Record<string, string>[] = [
      basic('alice', PW), // a password with colons: split at the first one only (RFC 7617)
      basic('ALICE', PW), // user names are case-insensitive
      basic('alice', token), // token as the password
      basic('anything', token), // …whatever the user name (clients fill in all sorts)
      basic(token, ''), // token as the user name
      basic(token, 'x-oauth-basic'),
      bearer(token),
      { Authorization: `token ${token}` },
      { Authorization: token }, // bare, as cargo and gem send it
      { 'X-NuGet-ApiKey': token }, // NuGet's API key
    ];
    for (const headers of forms)
      expect((await probe(headers)).json()).toEqual({ owner: 'alice', user: 'alice' });
    expect(
      (await call(t.url, 'GET', `/api/packages/alice/test/probe?access_token=${token}`)).json(),
    ).toEqual({ owner: 'alice', user: 'alice' });
  });

  it('refuses invalid credentials with 401 and one challenge, never as anonymous (the owner is public)', async () => {
    const invalid: Record<string, string>[] = [
      basic('alice', 'wrong'),
      basic('nobody', PW),
      basic('alice', '0'.repeat(40)),
      bearer('0'.repeat(40)),
      bearer('not-a-token'),
      { Authorization: 'token nope' },
      { Authorization: '0'.repeat(40) }, // a bare token of the right shape that is no token
      { Authorization: 'not-a-token' },
      { 'X-NuGet-ApiKey': '0'.repeat(40) },
      { 'X-NuGet-ApiKey': 'not-a-token' },
      { Authorization: 'Negotiate abc' },
      { Authorization: 'Basic !!!' },
      { Authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` },
    ];
    for (const [i, headers] of invalid.entries()) {
      const res = await probe({ ...headers, 'X-Forwarded-For': `203.0.113.${i + 1}` });
      expect([i, res.status]).toEqual([i, 401]);
      expect(res.header('www-authenticate')).toEqual(['Basic realm="Wharf"']);
      expect(res.text).not.toContain(PW);
    }
    expect(
      (await call(t.url, 'GET', '/api/packages/alice/test/probe?access_token=nope')).status,
    ).toBe(401);
  });

  it('blocks a burst of failed passwords per user and address with 429, the right password included', async () => {
    const from = (ip: string, password: string) =>
      probe({ ...basic('alice', password), 'X-Forwarded-For': ip });
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expect((await from('192.0.2.7', `guess-${i}`)).status).toBe(401);
    const blocked = await from('192.0.2.7', PW);
    expect(blocked.status).toBe(429);
    expect(blocked.header('www-authenticate')).toEqual([]);
    // how long to wait, in the standard header
    expect(Number(blocked.header('retry-after')[0])).toBeGreaterThan(0);
    expect((await from('192.0.2.8', PW)).status).toBe(200);
    // tokens are not affected by the password block
    expect((await probe({ ...basic('alice', token), 'X-Forwarded-For': '192.0.2.7' })).status).toBe(
      200,
    );
  });

  it('creates the bootstrap admin once and never overwrites its password', async () => {
    expect((await call(t.url, 'GET', '/api/v1/user', ADMIN)).json()).toMatchObject({
      login: 'root',
      is_admin: true,
    });
    expect(
      (
        await call(t.url, 'PATCH', '/api/v1/admin/users/root', ADMIN, {
          password: 'changed-by-admin',
        })
      ).status,
    ).toBe(200);
    await t.app.get(AdminBootstrapService).onApplicationBootstrap();
    expect(
      (await call(t.url, 'GET', '/api/v1/user', basic('root', 'changed-by-admin'))).status,
    ).toBe(200);
    expect((await call(t.url, 'GET', '/api/v1/user', ADMIN)).status).toBe(401);
  });

  it('runs the curl-only script: user, organization, writer, token, package list', async () => {
    const script = path.join(__dirname, '..', 'scripts', 'identity-smoke.sh');
    const env = {
      ...process.env,
      WHARF_URL: t.url,
      ADMIN_USER: 'root',
      ADMIN_PASSWORD: 'changed-by-admin',
    };
    const { stdout } = await promisify(execFile)('bash', [script], { env });
    const smokeToken = /^token: ([0-9a-f]{40})$/m.exec(stdout)?.[1];
    expect(smokeToken).toBeDefined();
    expect(stdout).toMatch(/packages of team:\n\[\]/);
    await publish(t, (await t.app.get(UserService).findOwner('team'))!, 'tool', '1.0');
    const listed = await call(t.url, 'GET', '/api/v1/packages/team', {
      Authorization: `token ${smokeToken}`,
    });
    expect(listed.json()).toEqual([expect.objectContaining({ name: 'tool', version: '1.0' })]);
    // the writer may publish there too
    expect(
      (await call(t.url, 'PUT', '/api/packages/team/test/probe', bearer(smokeToken!))).status,
    ).toBe(201);
  });
});

describeEachBackend('identity: REGISTRY_REQUIRE_SIGNIN', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(
      backend,
      { ...ADMIN_ENV, REGISTRY_REQUIRE_SIGNIN: 'true' },
      { extraModules: [ProbeModule] },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('makes every read need credentials, even of a public owner', async () => {
    for (const path of [
      '/api/packages/root/test/probe',
      '/api/v1/packages/root',
      '/api/packages/nobody/test/probe',
    ]) {
      const res = await call(t.url, 'GET', path);
      expect([path, res.status]).toEqual([path, 401]);
      expect(res.header('www-authenticate')).toEqual(['Basic realm="Wharf"']);
    }
    expect((await call(t.url, 'GET', '/api/packages/root/test/probe', ADMIN)).status).toBe(200);
  });
});
