import SwaggerParser from '@apidevtools/swagger-parser';
import { UserService } from '@wharf/auth';
import { basic, bearer, call, publish, startWithUsers } from './identity-helpers';
import { describeEachBackend } from './support/backends';
import { TestApp } from './support/test-app';

/** The management API of issue 3: organizations, packages, errors and the OpenAPI document. */
describeEachBackend('identity: organizations and packages API', (backend) => {
  let t: TestApp;
  const PW = 'password-1234';
  const api = (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: object | string,
  ) => call(t.url, method, path, headers, body);

  beforeAll(async () => {
    t = await startWithUsers(backend, ['alice', 'bob', 'carol', 'dave'], PW);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('organizations', () => {
    it('creates an organization whose creator is its admin', async () => {
      const res = await api('POST', '/api/v1/orgs', basic('alice', PW), {
        username: 'acme',
        visibility: 'private',
        full_name: 'Acme Inc.',
      });
      expect(res.status).toBe(201);
      expect(res.json()).toMatchObject({
        name: 'acme',
        username: 'acme',
        full_name: 'Acme Inc.',
        visibility: 'private',
      });
      const members = await api('GET', '/api/v1/orgs/acme/members', basic('alice', PW));
      expect(members.json()).toEqual([expect.objectContaining({ login: 'alice', role: 'admin' })]);
      expect(
        (
          await api('POST', '/api/v1/orgs', basic('alice', PW), {
            username: 'x',
            visibility: 'secret',
          })
        ).json().message,
      ).toMatch(/visibility/);
    });

    it('hides a private organization from non-members and lets only admins change it', async () => {
      expect((await api('GET', '/api/v1/orgs/acme', basic('bob', PW))).status).toBe(404);
      expect((await api('GET', '/api/v1/orgs/acme')).status).toBe(404);
      expect(
        (
          await api('PUT', '/api/v1/orgs/acme/members/bob', basic('alice', PW), { role: 'boss' })
        ).json().message,
      ).toMatch(/role/);
      expect(
        (await api('PUT', '/api/v1/orgs/acme/members/bob', basic('alice', PW), { role: 'read' }))
          .status,
      ).toBe(204);
      expect((await api('GET', '/api/v1/orgs/acme', basic('bob', PW))).json()).toMatchObject({
        name: 'acme',
      });
      expect(
        (await api('PATCH', '/api/v1/orgs/acme', basic('bob', PW), { visibility: 'public' }))
          .status,
      ).toBe(403);
      expect(
        (await api('PUT', '/api/v1/orgs/acme/members/carol', basic('bob', PW), { role: 'read' }))
          .status,
      ).toBe(403);
      expect(
        (
          await api('PATCH', '/api/v1/orgs/acme', basic('alice', PW), { visibility: 'limited' })
        ).json(),
      ).toMatchObject({ visibility: 'limited' });
      expect((await api('GET', '/api/v1/orgs/acme', basic('dave', PW))).status).toBe(200);
    });

    it('needs the admin scope to change an organization with a token', async () => {
      const read = (
        await api('POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
          name: 'org-read',
          scopes: ['write:package'],
        })
      ).json().sha1;
      const admin = (
        await api('POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
          name: 'org-admin',
          scopes: ['admin'],
        })
      ).json().sha1;
      expect(
        (await api('PATCH', '/api/v1/orgs/acme', bearer(read), { full_name: 'A' })).status,
      ).toBe(403);
      expect(
        (await api('PATCH', '/api/v1/orgs/acme', bearer(admin), { full_name: 'A' })).status,
      ).toBe(200);
    });

    it("governs the management API by Forgejo's scope categories", async () => {
      const token = async (name: string, scopes: string[]) => {
        const res = await api('POST', '/api/v1/users/alice/tokens', basic('alice', PW), {
          name,
          scopes,
        });
        expect(res.status).toBe(201);
        return bearer(res.json().sha1);
      };
      const orgWrite = await token('org-write', ['write:organization']);
      const orgRead = await token('org-read-only', ['read:organization']);
      const user = await token('user-read', ['read:user']);
      // stored, listed, granting nothing Wharf has
      const repo = await token('repo', ['write:repository', 'read:issue']);
      const all = await token('everything', ['all']);

      const patch = (auth: Record<string, string>) =>
        api('PATCH', '/api/v1/orgs/acme', auth, { full_name: 'Acme' });
      expect((await patch(orgWrite)).status).toBe(200);
      expect((await patch(orgRead)).status).toBe(403);
      expect((await patch(all)).status).toBe(200);
      expect((await api('GET', '/api/v1/orgs/acme/members', orgRead)).status).toBe(200);
      expect((await api('GET', '/api/v1/orgs/acme/members', user)).status).toBe(403);
      expect((await api('GET', '/api/v1/orgs/acme', repo)).status).toBe(403);

      expect((await api('GET', '/api/v1/user', user)).json()).toMatchObject({ login: 'alice' });
      const refused = await api('GET', '/api/v1/user', orgWrite);
      expect(refused.status).toBe(403);
      expect(refused.json().message).toContain('read:user');
      expect((await api('GET', '/api/v1/user', all)).status).toBe(200);

      const listed = (await api('GET', '/api/v1/users/alice/tokens', basic('alice', PW))).json();
      const scopesOf = (name: string) =>
        listed.find((t: { name: string }) => t.name === name).scopes;
      expect(scopesOf('repo')).toEqual(['read:issue', 'write:repository']);
      expect(scopesOf('everything')).toEqual(['all']);
    });

    it('keeps at least one admin; members may leave', async () => {
      expect(
        (await api('PUT', '/api/v1/orgs/acme/members/alice', basic('alice', PW), { role: 'write' }))
          .status,
      ).toBe(409);
      expect(
        (await api('DELETE', '/api/v1/orgs/acme/members/alice', basic('alice', PW))).status,
      ).toBe(409);
      expect((await api('DELETE', '/api/v1/orgs/acme/members/bob', basic('bob', PW))).status).toBe(
        204,
      );
      expect(
        (await api('DELETE', '/api/v1/orgs/acme/members/bob', basic('alice', PW))).status,
      ).toBe(404);
    });

    it('deletes an organization without packages', async () => {
      expect((await api('DELETE', '/api/v1/orgs/acme', basic('alice', PW))).status).toBe(204);
      expect((await api('GET', '/api/v1/orgs/acme', basic('alice', PW))).status).toBe(404);
    });
  });

  describe('packages', () => {
    it("lists versions newest first, filtered and paged, in Forgejo's shape", async () => {
      const bob = (await t.app.get(UserService).findUser('bob'))!;
      for (const [name, version] of [
        ['alpha', '1.0'],
        ['alpha', '2.0'],
        ['beta', '1.0'],
      ])
        await publish(t, bob, name, version);
      const all = await api('GET', '/api/v1/packages/bob', basic('bob', PW));
      expect(all.header('x-total-count')).toEqual(['3']);
      expect(
        all.json().map((p: { name: string; version: string }) => `${p.name}@${p.version}`),
      ).toEqual(['beta@1.0', 'alpha@2.0', 'alpha@1.0']);
      expect(all.json()[0]).toMatchObject({
        owner: expect.objectContaining({ login: 'bob' }),
        creator: expect.objectContaining({ login: 'bob' }),
        repository: null,
        type: 'generic',
        name: 'beta',
        version: '1.0',
        html_url: `${t.config.baseUrl}/bob/-/packages/generic/beta/1.0`,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
      expect((await api('GET', '/api/v1/packages/bob?q=alp&type=generic')).json()).toHaveLength(2);
      expect((await api('GET', '/api/v1/packages/bob?type=npm')).json()).toEqual([]);
      expect((await api('GET', '/api/v1/packages/bob?type=nope')).status).toBe(422);
      const page = await api('GET', '/api/v1/packages/bob?limit=1&page=2');
      expect(page.json()).toEqual([expect.objectContaining({ name: 'alpha', version: '2.0' })]);
      expect(page.header('link')[0]).toMatch(/rel="next".*rel="last".*rel="first".*rel="prev"/);
    });

    it('gets one version and its files with their hashes', async () => {
      const one = await api('GET', '/api/v1/packages/bob/generic/alpha/2.0');
      expect(one.json()).toMatchObject({ name: 'alpha', version: '2.0' });
      const files = await api('GET', '/api/v1/packages/bob/generic/alpha/2.0/files');
      expect(files.json()).toEqual([
        {
          id: expect.any(Number),
          Size: 'alpha@2.0'.length,
          name: 'alpha-2.0.txt',
          md5: expect.stringMatching(/^[0-9a-f]{32}$/),
          sha1: expect.stringMatching(/^[0-9a-f]{40}$/),
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          sha512: expect.stringMatching(/^[0-9a-f]{128}$/),
        },
      ]);
      expect((await api('GET', '/api/v1/packages/bob/generic/alpha/9.9')).status).toBe(404);
      expect((await api('GET', '/api/v1/packages/bob/nope/alpha/2.0')).status).toBe(404);
    });
  });

  describe('protocol', () => {
    it('answers errors as JSON {"message"}, and parses only bounded JSON', async () => {
      const unknown = await api('GET', '/api/v1/no/such/route');
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toEqual({ message: expect.any(String) });
      const bad = await api(
        'POST',
        '/api/v1/orgs',
        { ...basic('alice', PW), 'Content-Type': 'application/json' },
        '{"username":',
      );
      expect(bad.status).toBe(400);
      expect(bad.json().message).toMatch(/JSON/);
      const big = await api('POST', '/api/v1/orgs', basic('alice', PW), {
        username: 'big',
        full_name: 'x'.repeat(2 * 1024 * 1024),
      });
      expect(big.status).toBe(413);
      // curl -d sends form encoding by default; the body is still read as JSON
      const form = await api(
        'POST',
        '/api/v1/orgs',
        { ...basic('alice', PW), 'Content-Type': 'application/x-www-form-urlencoded' },
        '{"username":"formy"}',
      );
      expect(form.status).toBe(201);
    });

    it('serves an OpenAPI document listing every /api/v1 route, and its UI', async () => {
      const doc = (await api('GET', '/api/v1/openapi.json')).json();
      expect(doc.openapi).toMatch(/^3\.0\./);
      // validated against the OpenAPI 3.0 schema, with every $ref resolved
      await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
      const routes = Object.entries(
        doc.paths as Record<string, Record<string, { responses?: object }>>,
      ).flatMap(([path, ops]) =>
        Object.entries(ops).map(([method, op]) => {
          expect(Object.keys(op.responses ?? {})).not.toHaveLength(0);
          return `${method.toUpperCase()} ${path}`;
        }),
      );
      expect(routes.sort()).toEqual(
        [
          'DELETE /api/v1/admin/users/{username}',
          'DELETE /api/v1/orgs/{org}',
          'DELETE /api/v1/orgs/{org}/members/{username}',
          'DELETE /api/v1/user/chef/key',
          'DELETE /api/v1/packages/{owner}/{type}/{name}/{version}',
          'DELETE /api/v1/users/{username}/tokens/{token}',
          'GET /api/v1/admin/users',
          'GET /api/v1/orgs/{org}',
          'GET /api/v1/orgs/{org}/members',
          'GET /api/v1/packages/{owner}',
          'GET /api/v1/packages/{owner}/{type}/{name}/{version}',
          'GET /api/v1/packages/{owner}/{type}/{name}/{version}/files',
          'GET /api/v1/user',
          'GET /api/v1/users/{username}/tokens',
          'PATCH /api/v1/admin/users/{username}',
          'PATCH /api/v1/orgs/{org}',
          'POST /api/v1/admin/users',
          'POST /api/v1/orgs',
          'POST /api/v1/user/chef/key',
          'POST /api/v1/users/{username}/tokens',
          'PUT /api/v1/orgs/{org}/members/{username}',
          'PUT /api/v1/user/chef/key',
          // quotas and cleanup rules (issue 20)
          'DELETE /api/v1/admin/quota/groups/{group}',
          'DELETE /api/v1/admin/quota/groups/{group}/rules/{rule}',
          'DELETE /api/v1/admin/quota/groups/{group}/users/{username}',
          'DELETE /api/v1/admin/quota/rules/{rule}',
          'DELETE /api/v1/packages/{owner}/-/cleanup-rules/{id}',
          'GET /api/v1/admin/quota/groups',
          'GET /api/v1/admin/quota/groups/{group}',
          'GET /api/v1/admin/quota/groups/{group}/users',
          'GET /api/v1/admin/quota/rules',
          'GET /api/v1/admin/quota/rules/{rule}',
          'GET /api/v1/orgs/{org}/quota',
          'GET /api/v1/orgs/{org}/quota/check',
          'GET /api/v1/orgs/{org}/quota/packages',
          'GET /api/v1/packages/{owner}/-/cleanup-rules',
          'GET /api/v1/packages/{owner}/-/cleanup-rules/{id}',
          'GET /api/v1/packages/{owner}/-/cleanup-rules/{id}/preview',
          'GET /api/v1/user/quota',
          'GET /api/v1/user/quota/check',
          'GET /api/v1/user/quota/packages',
          'PATCH /api/v1/admin/quota/rules/{rule}',
          'PATCH /api/v1/packages/{owner}/-/cleanup-rules/{id}',
          'POST /api/v1/admin/quota/groups',
          'POST /api/v1/admin/quota/rules',
          'POST /api/v1/admin/users/{username}/quota/groups',
          'POST /api/v1/packages/{owner}/-/cleanup-rules',
          'PUT /api/v1/admin/quota/groups/{group}/rules/{rule}',
          'PUT /api/v1/admin/quota/groups/{group}/users/{username}',
        ].sort(),
      );
      // Forgejo's operation ids, so clients generated from its spec find the same names
      const operationIds = Object.values(
        doc.paths as Record<string, Record<string, { operationId: string }>>,
      ).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
      expect(operationIds).toEqual(
        expect.arrayContaining([
          'adminCreateUser',
          'userCreateToken',
          'orgCreate',
          'listPackages',
          'deletePackage',
        ]),
      );
      // every $ref points at a schema the document defines
      for (const [, ref] of JSON.stringify(doc).matchAll(
        /"\$ref":"#\/components\/schemas\/([^"]+)"/g,
      ))
        expect(doc.components.schemas).toHaveProperty(ref);
      const ui = await api('GET', '/api/v1/docs');
      expect(ui.status).toBe(200);
      expect(ui.text).toMatch(/swagger/i);
    });
  });
});
