import { UserService } from '@wharf/auth';
import { basic, bearer, call, publish, SITE_ADMIN, startWithUsers } from './identity-helpers';
import { describeEachBackend } from './support/backends';
import { TestApp } from './support/test-app';

/** The management API of issue 3: Forgejo-shaped users and access tokens. */
describeEachBackend('identity: users and tokens API', (backend) => {
  let t: TestApp;
  const ADMIN = SITE_ADMIN;
  const PW = 'password-1234';
  const api = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: object | string,
  ) => call(t.url, method, path, headers, body);

  beforeAll(async () => {
    t = await startWithUsers(backend, ['alice', 'bob', 'carol'], PW);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('users', () => {
    it("creates users as a site admin only, in Forgejo's shape", async () => {
      const created = await api('POST', '/api/v1/admin/users', ADMIN, {
        username: 'Dave',
        email: 'dave@example.com',
        password: PW,
        must_change_password: false,
        login_name: 'ignored',
      });
      expect(created.status).toBe(201);
      expect(created.json()).toMatchObject({
        login: 'Dave',
        username: 'Dave',
        email: 'dave@example.com',
        is_admin: false,
        active: true,
        visibility: 'public',
      });
      expect(created.json().id).toEqual(expect.any(Number));
      expect(created.text).not.toContain(PW);
      expect(
        (
          await api('POST', '/api/v1/admin/users', basic('alice', PW), {
            username: 'x1',
            email: 'x@example.com',
            password: PW,
          })
        ).status,
      ).toBe(403);
      const anonymous = await api(
        'POST',
        '/api/v1/admin/users',
        {},
        { username: 'x2', email: 'x@example.com', password: PW },
      );
      expect(anonymous.status).toBe(401);
      expect(anonymous.header('www-authenticate')).toEqual(['Basic realm="Wharf"']);
    });

    it('answers a bad field with a 422 that names it', async () => {
      const cases: [object, RegExp][] = [
        [{ username: 'ok-name', email: 'not-an-email', password: PW }, /email/],
        [{ username: '-bad', email: 'e@example.com', password: PW }, /username/],
        [{ username: 'ok-name', email: 'e@example.com', password: 'short' }, /password/],
        [
          {
            username: 'ok-name',
            email: 'e@example.com',
            password: PW,
            must_change_password: 'yes',
          },
          /must_change_password/,
        ],
      ];
      for (const [body, field] of cases) {
        const res = await api('POST', '/api/v1/admin/users', ADMIN, body);
        expect(res.status).toBe(422);
        expect(res.json().message).toMatch(field);
      }
    });

    it('keeps one namespace for users and organizations, case-insensitively', async () => {
      expect(
        (
          await api('POST', '/api/v1/admin/users', ADMIN, {
            username: 'ALICE',
            email: 'a2@example.com',
            password: PW,
          })
        ).status,
      ).toBe(409);
      expect(
        (await api('POST', '/api/v1/orgs', basic('alice', PW), { username: 'Bob' })).status,
      ).toBe(409);
    });

    it('lists users with X-Total-Count and Link paging', async () => {
      const res = await api('GET', '/api/v1/admin/users?limit=2&page=1', ADMIN);
      expect(res.status).toBe(200);
      expect(res.json()).toHaveLength(2);
      const total = Number(res.header('x-total-count')[0]);
      expect(total).toBeGreaterThanOrEqual(4);
      const link = res.header('link')[0];
      expect(link).toContain(`<${t.config.baseUrl}/api/v1/admin/users?limit=2&page=2>; rel="next"`);
      expect(link).toContain(`page=${Math.ceil(total / 2)}>; rel="last"`);
    });

    it('edits users: disabling refuses every credential, admin grants site admin', async () => {
      expect(
        (await api('PATCH', '/api/v1/admin/users/carol', ADMIN, { active: false })).json(),
      ).toMatchObject({ active: false });
      expect((await api('GET', '/api/v1/user', basic('carol', PW))).status).toBe(403);
      expect(
        (
          await api('PATCH', '/api/v1/admin/users/carol', ADMIN, { active: true, admin: true })
        ).json(),
      ).toMatchObject({ active: true, is_admin: true });
      expect((await api('GET', '/api/v1/admin/users', basic('carol', PW))).status).toBe(200);
      expect(
        (
          await api('PATCH', '/api/v1/admin/users/carol', ADMIN, {
            admin: false,
            password: 'a-new-password',
          })
        ).status,
      ).toBe(200);
      expect(
        (await api('GET', '/api/v1/user', basic('carol', 'a-new-password'))).json(),
      ).toMatchObject({ login: 'carol', is_admin: false });
    });

    it('deletes users, but not oneself and not an owner of packages', async () => {
      expect((await api('DELETE', '/api/v1/admin/users/root', ADMIN)).status).toBe(400);
      await api('POST', '/api/v1/admin/users', ADMIN, {
        username: 'erin',
        email: 'erin@example.com',
        password: PW,
      });
      const erin = (await t.app.get(UserService).findUser('erin'))!;
      await publish(t, erin, 'thing', '1.0');
      expect((await api('DELETE', '/api/v1/admin/users/erin', ADMIN)).status).toBe(409);
      expect((await api('DELETE', '/api/v1/packages/erin/generic/thing/1.0', ADMIN)).status).toBe(
        204,
      );
      expect((await api('DELETE', '/api/v1/admin/users/erin', ADMIN)).status).toBe(204);
      expect((await api('DELETE', '/api/v1/admin/users/erin', ADMIN)).status).toBe(404);
    });
  });

  describe('tokens', () => {
    it('creates a token with a password, shows it once, and never again', async () => {
      const res = await api('POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
        name: 'ci',
        scopes: ['write:package', 'read:user'],
      });
      expect(res.status).toBe(201);
      const token = res.json();
      expect(token).toMatchObject({
        name: 'ci',
        scopes: ['read:user', 'write:package'],
        expires_at: null,
      });
      expect(token.sha1).toMatch(/^[0-9a-f]{40}$/);
      expect(token.token_last_eight).toBe(token.sha1.slice(-8));
      const list = await api('GET', '/api/v1/users/alice/tokens', basic('alice', PW));
      expect(list.json()).toEqual([
        expect.objectContaining({
          id: token.id,
          name: 'ci',
          token_last_eight: token.token_last_eight,
        }),
      ]);
      expect(list.text).not.toContain(token.sha1);
      // used once: the list shows when
      expect((await api('GET', '/api/v1/user', bearer(token.sha1))).json()).toMatchObject({
        login: 'alice',
      });
      expect(
        (await api('GET', '/api/v1/users/alice/tokens', basic('alice', PW))).json()[0].last_used_at,
      ).toEqual(expect.any(String));
    });

    it('refuses token management with a token, or for another user', async () => {
      const { sha1 } = (
        await api('POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
          name: 'all',
          scopes: ['all'],
        })
      ).json();
      expect(
        (
          await api('POST', '/api/v1/users/alice/tokens', bearer(sha1), {
            name: 'x',
            scopes: ['read:package'],
          })
        ).status,
      ).toBe(403);
      expect((await api('GET', '/api/v1/users/bob/tokens', basic('alice', PW))).status).toBe(403);
      expect(
        (
          await api('POST', '/api/v1/users/bob/tokens', ADMIN, {
            name: 'by-admin',
            scopes: ['read:package'],
          })
        ).status,
      ).toBe(201);
    });

    it('validates name, scopes and expiry', async () => {
      const create = (body: object) =>
        api('POST', '/api/v1/users/bob/tokens', basic('bob', PW), body);
      expect((await create({ name: 'a', scopes: ['delete:repository'] })).json().message).toMatch(
        /scopes/,
      );
      expect((await create({ name: 'a', scopes: [] })).status).toBe(422);
      expect((await create({ scopes: ['read:package'] })).json().message).toMatch(/name/);
      expect(
        (
          await create({ name: 'a', scopes: ['read:package'], expires_at: '2001-01-01T00:00:00Z' })
        ).json().message,
      ).toMatch(/expires_at/);
      expect(
        (await create({ name: 'a', scopes: ['read:package'], expires_at: 'soon' })).status,
      ).toBe(422);
      const later = new Date(Date.now() + 86400_000).toISOString();
      expect(
        (await create({ name: 'dup', scopes: ['read:package'], expires_at: later })).json()
          .expires_at,
      ).toBe(later.replace(/\.\d{3}Z$/, 'Z'));
      expect((await create({ name: 'dup', scopes: ['read:package'] })).status).toBe(409);
    });

    it('deletes by id or by name; a deleted token no longer signs in', async () => {
      const a = (
        await api('POST', '/api/v1/users/bob/tokens', basic('bob', PW), {
          name: 'one',
          scopes: ['read:package'],
        })
      ).json();
      const b = (
        await api('POST', '/api/v1/users/bob/tokens', basic('bob', PW), {
          name: 'two',
          scopes: ['read:package'],
        })
      ).json();
      expect(
        (await api('DELETE', `/api/v1/users/bob/tokens/${a.id}`, basic('bob', PW))).status,
      ).toBe(204);
      expect((await api('DELETE', '/api/v1/users/bob/tokens/two', basic('bob', PW))).status).toBe(
        204,
      );
      expect((await api('DELETE', '/api/v1/users/bob/tokens/two', basic('bob', PW))).status).toBe(
        404,
      );
      for (const { sha1 } of [a, b])
        expect((await api('GET', '/api/v1/user', bearer(sha1))).status).toBe(401);
    });
  });
});
