import { AccessTokenService, UserService } from '@wharf/auth';
import { nowUnix, UserEntity } from '@wharf/packages-core';
import { basic, bearer, call, ensurePublished, ProbeModule, publish } from './identity-helpers';
import { describeEachBackend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';

/*
 * The permission matrix of issue 3: every kind of caller against public, limited and
 * private owners (organizations and users), reading and writing, on a format route
 * (the probe behind @PackageAccess) and on the management API. Each cell is
 * [read, write]: 200 = allowed (201/204 on the write routes), 401 = challenge, 403, 404.
 */
type Cell = [number, number];
type Row = [Cell, Cell, Cell]; // public, limited, private

const OK: Row = [
  [200, 200],
  [200, 200],
  [200, 200],
];
const READER: Row = [
  [200, 403],
  [200, 403],
  [200, 403],
];
const OUTSIDER: Row = [
  [200, 403],
  [200, 403],
  [404, 404],
];
const ANONYMOUS: Row = [
  [200, 401],
  [401, 401],
  [401, 401],
];
const REFUSED: Row = [
  [401, 401],
  [401, 401],
  [401, 401],
];

const ORG_MATRIX: Record<string, Row> = {
  anonymous: ANONYMOUS,
  nonMember: OUTSIDER,
  orgReader: READER,
  orgWriter: OK,
  orgAdmin: OK,
  siteAdmin: OK,
  tokenRead: READER,
  tokenWrite: OK,
  tokenExpired: REFUSED,
  wrongPassword: REFUSED,
  tokenRevoked: REFUSED,
};
const USER_MATRIX: Record<string, Row> = {
  anonymous: ANONYMOUS,
  nonMember: OUTSIDER,
  orgReader: OUTSIDER,
  orgWriter: OUTSIDER,
  orgAdmin: OUTSIDER,
  owner: OK,
  siteAdmin: OK,
  tokenRead: OUTSIDER,
  tokenWrite: OUTSIDER,
  tokenExpired: REFUSED,
  wrongPassword: REFUSED,
  tokenRevoked: REFUSED,
};
const VISIBILITIES = ['public', 'limited', 'private'] as const;
const PW = 'correct-horse-9';
const ADMIN = basic('root', 'root-password-1');

describeEachBackend('identity: permission matrix', (backend) => {
  let t: TestApp;
  const owners = new Map<string, UserEntity>();
  const tokens: Record<string, string> = {};
  let forwarded = 0;

  beforeAll(async () => {
    t = await startTestApp(
      backend,
      { REGISTRY_ADMIN_USERNAME: 'root', REGISTRY_ADMIN_PASSWORD: 'root-password-1' },
      { extraModules: [ProbeModule] },
    );
    const api = (method: string, path: string, headers: Record<string, string>, body?: object) =>
      call(t.url, method, path, headers, body);
    for (const name of ['nora', 'rita', 'wanda', 'ollie', ...VISIBILITIES.map((v) => `u-${v}`)]) {
      const visibility = name.startsWith('u-') ? name.slice(2) : 'public';
      expect(
        (
          await api('POST', '/api/v1/admin/users', ADMIN, {
            username: name,
            email: `${name}@example.com`,
            password: PW,
            visibility,
          })
        ).status,
      ).toBe(201);
    }
    for (const v of VISIBILITIES) {
      expect(
        (
          await api('POST', '/api/v1/orgs', basic('ollie', PW), {
            username: `o-${v}`,
            visibility: v,
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api('PUT', `/api/v1/orgs/o-${v}/members/wanda`, basic('ollie', PW), {
            role: 'write',
          })
        ).status,
      ).toBe(204);
      expect(
        (await api('PUT', `/api/v1/orgs/o-${v}/members/rita`, basic('ollie', PW), { role: 'read' }))
          .status,
      ).toBe(204);
    }
    const newToken = async (name: string, scopes: string[]) => {
      const res = await api('POST', '/api/v1/users/wanda/tokens', basic('wanda', PW), {
        name,
        scopes,
      });
      expect(res.status).toBe(201);
      return res.json().sha1 as string;
    };
    tokens.read = await newToken('read', ['read:package']);
    tokens.write = await newToken('write', ['write:package']);
    tokens.revoked = await newToken('revoked', ['write:package']);
    expect(
      (await api('DELETE', '/api/v1/users/wanda/tokens/revoked', basic('wanda', PW))).status,
    ).toBe(204);
    // An expiry in the past cannot be asked for through the API; the service writes one.
    const wanda = (await t.app.get(UserService).findUser('wanda'))!;
    tokens.expired = (
      await t.app
        .get(AccessTokenService)
        .create(wanda.id, { name: 'expired', scopes: [], expiresUnix: nowUnix() - 60 })
    ).token;

    for (const name of [
      ...VISIBILITIES.map((v) => `o-${v}`),
      ...VISIBILITIES.map((v) => `u-${v}`),
    ]) {
      const owner = (await t.app.get(UserService).findOwner(name))!;
      owners.set(name, owner);
      await publish(t, owner, 'pkg', '1.0');
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Credentials of each caller; the token forms are varied on purpose (Bearer, `token`, Basic). */
  function credentials(principal: string, ownerName: string): Record<string, string> {
    switch (principal) {
      case 'anonymous':
        return {};
      case 'nonMember':
        return basic('nora', PW);
      case 'orgReader':
        return basic('rita', PW);
      case 'orgWriter':
        return basic('wanda', PW);
      case 'orgAdmin':
        return basic('ollie', PW);
      case 'owner':
        return basic(ownerName, PW);
      case 'siteAdmin':
        return ADMIN;
      case 'tokenRead':
        return bearer(tokens.read);
      case 'tokenWrite':
        return basic('wanda', tokens.write);
      case 'tokenExpired':
        return { Authorization: `token ${tokens.expired}` };
      case 'tokenRevoked':
        return basic(tokens.revoked, '');
      // A fresh client address per request keeps these cells under the sign-in rate limit.
      case 'wrongPassword':
        return {
          ...basic('wanda', 'wrong-password'),
          'X-Forwarded-For': `198.51.100.${++forwarded % 250}`,
        };
      default:
        throw new Error(principal);
    }
  }

  type Route = (owner: string) => [method: string, path: string, success: number];
  const surfaces: Record<string, Record<'read' | 'write', Route>> = {
    format: {
      read: (o) => ['GET', `/api/packages/${o}/test/probe`, 200],
      write: (o) => ['PUT', `/api/packages/${o}/test/probe`, 201],
    },
    api: {
      read: (o) => ['GET', `/api/v1/packages/${o}`, 200],
      write: (o) => ['DELETE', `/api/v1/packages/${o}/generic/pkg/1.0`, 204],
    },
  };

  for (const [kind, matrix] of [
    ['organization', ORG_MATRIX],
    ['user', USER_MATRIX],
  ] as const) {
    for (const [surfaceName, surface] of Object.entries(surfaces)) {
      it(`${surfaceName} routes, ${kind} owners: every caller × visibility × read/write`, async () => {
        const mismatches: string[] = [];
        for (const [principal, row] of Object.entries(matrix)) {
          for (const [i, visibility] of VISIBILITIES.entries()) {
            const ownerName = `${kind === 'organization' ? 'o' : 'u'}-${visibility}`;
            for (const [j, mode] of (['read', 'write'] as const).entries()) {
              const expected = row[i][j];
              const [method, path, success] = surface[mode](ownerName);
              if (method === 'DELETE')
                await ensurePublished(t, owners.get(ownerName)!, 'pkg', '1.0');
              const res = await call(t.url, method, path, credentials(principal, ownerName));
              const want = expected === 200 ? success : expected;
              const cell = `${principal} ${mode} ${ownerName}`;
              if (res.status !== want)
                mismatches.push(`${cell}: ${res.status} (want ${want}) ${res.text.slice(0, 120)}`);
              const challenges = res.header('www-authenticate');
              if (
                res.status === 401 &&
                (challenges.length !== 1 || challenges[0] !== 'Basic realm="Wharf"')
              ) {
                mismatches.push(`${cell}: 401 with challenges ${JSON.stringify(challenges)}`);
              }
              if (res.status !== 401 && challenges.length)
                mismatches.push(`${cell}: challenge on a ${res.status}`);
            }
          }
        }
        expect(mismatches).toEqual([]);
      });
    }
  }

  it('answers 404 for an owner that does not exist, to everyone', async () => {
    for (const headers of [{}, basic('nora', PW), ADMIN]) {
      expect(
        (await call(t.url, 'GET', '/api/packages/nobody-here/test/probe', headers)).status,
      ).toBe(404);
      expect((await call(t.url, 'GET', '/api/v1/packages/nobody-here', headers)).status).toBe(404);
    }
  });

  it('passes an upload body through the guard intact (the guard reads no body)', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const res = await call(
      t.url,
      'PUT',
      '/api/packages/o-private/test/probe',
      { ...basic('wanda', PW), 'Content-Type': 'application/octet-stream' },
      body,
    );
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ owner: 'o-private', bytes: body.length });
  });

  it('tells the handler who is asking and for which owner', async () => {
    const res = await call(t.url, 'GET', '/api/packages/O-Limited/test/probe', bearer(tokens.read));
    expect(res.json()).toEqual({ owner: 'o-limited', user: 'wanda' });
  });
});
