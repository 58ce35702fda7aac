import request from 'supertest';
import { DataSource } from 'typeorm';
import { countQueries } from '@wharf/packages-core/testing/count-queries';
import { describeEachBackend } from './support/backends';
import { ADMIN, ADMIN_ENV, createOrg, createUser, PASSWORD } from './support/clients/accounts';
import { npmTarball, publishDocument } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';
import { WebClient } from './support/web-client';

/*
 * The web interface over HTTP (issue 21): sessions and their cookie, CSRF refusals,
 * the access rules of the APIs on pages, security headers, escaping of user content,
 * the forced password change and the sign-in rate limit — on both deployments.
 */
const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';

async function putGeneric(t: TestApp, owner: string, name: string, version: string, user: string) {
  await request(t.url)
    .put(`/api/packages/${owner}/generic/${name}/${version}/${name}-${version}.bin`)
    .auth(user, PASSWORD)
    .send(Buffer.from(`${name} ${version}\n`))
    .expect(201);
}

describeEachBackend('web interface', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'bob');
    await createOrg(t.url, 'alice', 'secretorg', 'private');
    await putGeneric(t, 'alice', 'pub-tool', '1.0.0', 'alice');
    await putGeneric(t, 'alice', 'pub-tool', '1.1.0-beta.1', 'alice');
    await putGeneric(t, 'secretorg', 'hidden-tool', '1.0.0', 'alice');
    const readme = `# Title\n\n${HOSTILE}\n\n[click](javascript:alert(1)) [ok](https://example.com/)\n`;
    const manifest = {
      name: 'xss-pkg',
      version: '1.0.0',
      description: HOSTILE,
      license: 'MIT',
      homepage: 'javascript:alert(1)',
      readme,
      dependencies: { 'left-pad': '^1.0.0' },
    };
    await request(t.url)
      .put('/api/packages/alice/npm/xss-pkg')
      .auth('alice', PASSWORD)
      .send(
        publishDocument(manifest, await npmTarball({ 'package.json': JSON.stringify(manifest) })),
      )
      .expect(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('greets at / and lists public packages to anonymous visitors, never private ones', async () => {
    const anon = new WebClient(t.url);
    const home = await anon.get('/');
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/explore/packages');
    const list = await anon.get('/explore/packages');
    expect(list.status).toBe(200);
    expect(list.text).toContain('pub-tool');
    expect(list.text).toContain('1.1.0-beta.1');
    expect(list.text).not.toContain('hidden-tool');
    expect((await anon.get('/explore/packages?type=npm')).text).not.toContain('pub-tool');
    expect((await anon.get('/explore/packages?q=PUB')).text).toContain('pub-tool');
    expect((await anon.get('/explore/packages?q=nothing-like-it')).text).toContain('No packages');
    expect((await anon.get('/secretorg/-/packages')).status).toBe(404);
    expect((await anon.get('/secretorg/-/packages/generic/hidden-tool')).status).toBe(404);
    // the 404 of a private package reads like the 404 of nothing at all
    const missing = await anon.get('/nobody-here/-/packages/generic/hidden-tool');
    const hidden = await anon.get('/secretorg/-/packages/generic/hidden-tool/1.0.0');
    expect(hidden.text).toBe(missing.text);
  });

  it('sends the security headers and serves its assets with their types', async () => {
    const res = await new WebClient(t.url).get('/explore/packages');
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    const scriptPath = /<script src="([^"]+)"/.exec(res.text)![1];
    const script = await request(t.url).get(scriptPath).expect(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(script.headers['cache-control']).toContain('immutable');
    await request(t.url).get('/assets/wharf.000000000000.js').expect(404);
  });

  it('escapes user content and renders the README without markup from it', async () => {
    const page = await new WebClient(t.url).get('/alice/-/packages/npm/xss-pkg');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('<script>alert');
    expect(page.text).not.toContain('<img src=x');
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(page.text).not.toMatch(/href="javascript:/i);
    expect(page.text).toContain('<h3>Title</h3>'); // under the page's own headings
    expect(page.text).toContain('href="https://example.com/"');
    expect(page.text).toContain('left-pad ^1.0.0');
    expect(page.text).toContain('MIT');
    expect(page.text).toContain('npm install'); // the install instructions
  });

  it('pages long lists, 50 packages a page, keeping the filters in the page links', async () => {
    for (let i = 0; i < 51; i++)
      await putGeneric(t, 'bob', `pg-${String(i).padStart(2, '0')}`, '1.0.0', 'bob');
    const web = new WebClient(t.url);
    const first = await web.get('/bob/-/packages?type=generic&q=pg-');
    expect(first.text).toContain('Page 1 of 2');
    expect(first.text).toContain('pg-49');
    expect(first.text).not.toContain('pg-50');
    expect(first.text).toContain('href="/bob/-/packages?type=generic&amp;q=pg-&amp;page=2"');
    const second = await web.get('/bob/-/packages?type=generic&q=pg-&page=2');
    expect(second.text).toContain('Page 2 of 2');
    expect(second.text).toContain('pg-50');
    expect(second.text).not.toContain('pg-49');
  });

  it('serves names with a slash (an npm scope) as one path segment', async () => {
    const manifest = { name: '@acme/lib', version: '2.0.0' };
    await request(t.url)
      .put('/api/packages/alice/npm/@acme%2flib')
      .auth('alice', PASSWORD)
      .send(
        publishDocument(manifest, await npmTarball({ 'package.json': JSON.stringify(manifest) })),
      )
      .expect(201);
    const list = await new WebClient(t.url).get('/alice/-/packages?type=npm');
    expect(list.text).toContain('href="/alice/-/packages/npm/%40acme%2Flib"');
    const page = await new WebClient(t.url).get('/alice/-/packages/npm/%40acme%2Flib/2.0.0');
    expect(page.status).toBe(200);
    expect(page.text).toContain('@acme:registry=');
  });

  it('shows versions newest first with pre-releases marked, files with digests and working download links', async () => {
    const page = await new WebClient(t.url).get('/alice/-/packages/generic/pub-tool');
    expect(page.status).toBe(200);
    const beta = page.text.indexOf('>1.1.0-beta.1<');
    const stable = page.text.indexOf('>1.0.0<');
    expect(beta).toBeGreaterThan(0);
    expect(stable).toBeGreaterThan(beta);
    expect(page.text).toMatch(/1\.1\.0-beta\.1<\/a>\s*<span class="badge">pre-release/);
    const link =
      /href="(\/alice\/-\/packages\/generic\/pub-tool\/1\.1\.0-beta\.1\/files\/\d+)"/.exec(
        page.text,
      )![1];
    const file = await request(t.url).get(link).expect(200);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(file.body).toString()).toBe('pub-tool 1.1.0-beta.1\n');
    const sha = /<dt>sha256<\/dt>\s*<dd>\s*<code>([0-9a-f]{64})<\/code>/.exec(page.text)![1];
    expect(file.headers['x-checksum-sha256']).toBe(sha);
    expect((await request(t.url).get(link.replace(/\d+$/, '999999'))).status).toBe(404);
  });

  it('renders a package page in a fixed number of queries, whatever its number of versions', async () => {
    const dataSource = t.app.get(DataSource);
    const render = async () => {
      await request(t.url).get('/alice/-/packages/generic/many').expect(200); // owner cache warm
      const { queries } = await countQueries(dataSource, () =>
        request(t.url).get('/alice/-/packages/generic/many').expect(200),
      );
      return queries.length;
    };
    for (let i = 0; i < 2; i++) await putGeneric(t, 'alice', 'many', `0.0.${i}`, 'alice');
    const few = await render();
    for (let i = 2; i < 22; i++) await putGeneric(t, 'alice', 'many', `0.0.${i}`, 'alice');
    expect(await render()).toBe(few);
  });

  it('signs in with a double-submit token on the login form and a session cookie after it', async () => {
    const web = new WebClient(t.url);
    await web.get('/user/login');
    const loginCsrf = web.cookie('wharf_login_csrf');
    expect(loginCsrf).toBeTruthy();
    // a form without the token, with another token, or from another site is refused
    expect(
      (await web.post('/user/login', { user_name: 'alice', password: PASSWORD, _csrf: '' })).status,
    ).toBe(403);
    expect(
      (
        await web.post('/user/login', {
          user_name: 'alice',
          password: PASSWORD,
          _csrf: 'x'.repeat(43),
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await web.post(
          '/user/login',
          { user_name: 'alice', password: PASSWORD },
          { Origin: 'https://evil.example' },
        )
      ).status,
    ).toBe(403);
    const wrong = await web.post('/user/login', { user_name: 'alice', password: 'wrong-password' });
    expect(wrong.status).toBe(401);
    expect(web.cookie('wharf_session')).toBeUndefined();
    const ok = await web.post('/user/login', {
      user_name: 'alice',
      password: PASSWORD,
      redirect_to: '//evil.example/x',
    });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/'); // never off-site
    const cookie = (ok.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('wharf_session='),
    )!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // plain http here
    const page = await web.get('/secretorg/-/packages/generic/hidden-tool');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in as <strong>alice</strong>');
    expect(page.text).toContain('Delete version 1.0.0');
  });

  it('marks the cookie Secure when a trusted proxy says the request came over HTTPS', async () => {
    const web = new WebClient(t.url);
    await web.get('/user/login', { 'X-Forwarded-Proto': 'https' });
    const res = await web.post(
      '/user/login',
      { user_name: 'bob', password: PASSWORD },
      { 'X-Forwarded-Proto': 'https', Origin: t.url.replace('http:', 'https:') },
    );
    expect(res.status).toBe(303);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('wharf_session='),
    )!;
    expect(cookie).toMatch(/Secure/);
  });

  it('applies the API access rules: a private package is 404 to a signed-in non-member', async () => {
    const bob = new WebClient(t.url);
    expect((await bob.signIn('bob', PASSWORD)).status).toBe(303);
    expect((await bob.get('/secretorg/-/packages/generic/hidden-tool')).status).toBe(404);
    expect((await bob.get('/explore/packages')).text).not.toContain('hidden-tool');
    // bob may read alice's public package but not delete from it
    const page = await bob.get('/alice/-/packages/generic/pub-tool/1.0.0');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('Delete version');
    const refused = await bob.post('/alice/-/packages/generic/pub-tool/1.0.0/delete', {});
    expect(refused.status).toBe(403);
    await request(t.url)
      .get('/api/packages/alice/generic/pub-tool/1.0.0/pub-tool-1.0.0.bin')
      .expect(200);
  });

  it('creates a token shown once, usable on the API, and revokes it; every form needs the session token', async () => {
    const web = new WebClient(t.url);
    await web.signIn('alice', PASSWORD);
    const settings = await web.get('/user/settings/applications');
    expect(settings.status).toBe(200);
    expect(settings.text).toContain('secretorg'); // organisations the user belongs to
    const form = { name: 'ci', 'scope-package': 'write:package', 'scope-user': 'read:user' };
    expect(
      (await web.post('/user/settings/applications', { ...form, _csrf: 'forged' })).status,
    ).toBe(403);
    expect(
      (await web.post('/user/settings/applications', form, { Origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    const created = await web.post('/user/settings/applications', form);
    expect(created.status).toBe(201);
    const secret = /<code id="new-token" class="token">([0-9a-f]{40})<\/code>/.exec(
      created.text,
    )![1];
    const me = await request(t.url)
      .get('/api/v1/user')
      .set('Authorization', `token ${secret}`)
      .expect(200);
    expect(me.body.login).toBe('alice');
    const again = await web.get('/user/settings/applications');
    expect(again.text).not.toContain(secret);
    expect(again.text).toContain(secret.slice(-8));
    const id = /name="id" value="(\d+)"/.exec(again.text)![1];
    expect((await web.post('/user/settings/applications/delete', { id })).status).toBe(303);
    await request(t.url).get('/api/v1/user').set('Authorization', `token ${secret}`).expect(401);
    const dup = await web.post('/user/settings/applications', { name: 'x', _csrf: web.csrf });
    expect(dup.status).toBe(400);
    expect(dup.text).toContain('choose at least one scope');
  });

  it('lets the owner delete a version, then signs out and the old cookie no longer works', async () => {
    await putGeneric(t, 'alice', 'doomed', '1.0.0', 'alice');
    await putGeneric(t, 'alice', 'doomed', '2.0.0', 'alice');
    const web = new WebClient(t.url);
    await web.signIn('alice', PASSWORD);
    await web.get('/alice/-/packages/generic/doomed/2.0.0');
    const res = await web.post('/alice/-/packages/generic/doomed/2.0.0/delete', {});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/alice/-/packages/generic/doomed');
    expect((await web.get('/alice/-/packages/generic/doomed/2.0.0')).status).toBe(404);
    await request(t.url)
      .get('/api/packages/alice/generic/doomed/2.0.0/doomed-2.0.0.bin')
      .expect(404);
    const cookie = web.cookieHeader();
    expect((await web.post('/user/logout', {})).status).toBe(303);
    const after = await request(t.url).get('/user/settings/applications').set('Cookie', cookie);
    expect(after.status).toBe(303);
    expect(after.headers.location).toBe(
      '/user/login?redirect_to=%2Fuser%2Fsettings%2Fapplications',
    );
  });

  it('makes a user with must_change_password set a new one first; the change ends older sessions', async () => {
    await request(t.url)
      .post('/api/v1/admin/users')
      .auth(ADMIN.username, ADMIN.password)
      .send({
        username: 'newbie',
        email: 'n@example.com',
        password: PASSWORD,
        must_change_password: true,
      })
      .expect(201);
    const first = new WebClient(t.url);
    const signedIn = await first.signIn('newbie', PASSWORD);
    expect(signedIn.headers.location).toBe('/user/settings/change_password');
    const elsewhere = await first.get('/explore/packages');
    expect(elsewhere.status).toBe(303);
    expect(elsewhere.headers.location).toBe('/user/settings/change_password');
    const second = new WebClient(t.url);
    await second.signIn('newbie', PASSWORD);
    await first.get('/user/settings/change_password');
    const mismatch = await first.post('/user/settings/change_password', {
      password: 'new-password-456',
      retype: 'other-password-456',
    });
    expect(mismatch.status).toBe(400);
    const changed = await first.post('/user/settings/change_password', {
      password: 'new-password-456',
      retype: 'new-password-456',
    });
    expect(changed.status).toBe(303);
    expect((await first.get('/explore/packages')).status).toBe(200);
    // the other browser signed in with the old password is signed out
    expect((await second.get('/user/settings/applications')).status).toBe(303);
    await request(t.url).get('/api/v1/user').auth('newbie', 'new-password-456').expect(200);
  });

  it('lets admins create and disable users; disabled users cannot sign in', async () => {
    expect((await new WebClient(t.url).get('/admin')).status).toBe(303);
    const bob = new WebClient(t.url);
    await bob.signIn('bob', PASSWORD);
    expect((await bob.get('/admin')).status).toBe(403);
    const admin = new WebClient(t.url);
    await admin.signIn(ADMIN.username, ADMIN.password);
    const page = await admin.get('/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Storage per owner');
    expect(page.text).toMatch(/secretorg<\/a>\s*<\/td>\s*<td class="num">1<\/td>/);
    const created = await admin.post('/admin/users', { username: 'sleeper', password: PASSWORD });
    expect(created.status).toBe(201);
    expect(created.text).toContain('User sleeper created.');
    const taken = await admin.post('/admin/users', { username: 'sleeper', password: PASSWORD });
    expect(taken.status).toBe(409);
    const org = await admin.post('/admin/orgs', { name: 'team-x', admin: 'bob' });
    expect(org.status).toBe(201);
    const sleeper = new WebClient(t.url);
    await sleeper.signIn('sleeper', PASSWORD);
    expect((await sleeper.get('/user/settings/applications')).status).toBe(200);
    expect((await admin.post('/admin/users/sleeper/disable', {})).status).toBe(303);
    // the running session ends, and signing in again is refused
    expect((await sleeper.get('/user/settings/applications')).status).toBe(303);
    const again = await new WebClient(t.url).signIn('sleeper', PASSWORD);
    expect(again.status).toBe(403);
    expect(again.text).toContain('disabled');
  });

  it('lets admins disable an organization: its packages are kept and served to admins only', async () => {
    const admin = new WebClient(t.url);
    await admin.signIn(ADMIN.username, ADMIN.password);
    await admin.get('/admin');
    expect((await admin.post('/admin/orgs', { name: 'team-off', admin: 'bob' })).status).toBe(201);
    const file = '/api/packages/team-off/generic/kept/1.0.0/kept.bin';
    await request(t.url).put(file).auth('bob', PASSWORD).send(Buffer.from('kept')).expect(201);
    await request(t.url).get(file).auth('bob', PASSWORD).expect(200);
    const bob = new WebClient(t.url);
    await bob.signIn('bob', PASSWORD);
    await bob.get('/explore/packages');
    expect(bob.csrf).not.toBe(''); // so the refusal below is the admin check, not CSRF
    // only admins may: bob administers the organization but not the instance
    expect((await bob.post('/admin/orgs/team-off/disable', {})).status).toBe(403);
    expect((await admin.post('/admin/orgs/team-off/disable', {})).status).toBe(303);
    expect((await admin.get('/admin')).text).toMatch(/team-off<\/a>[^<]*disabled/);
    await request(t.url).get(file).auth('bob', PASSWORD).expect(404);
    await request(t.url).get(file).expect(401);
    await request(t.url)
      .put('/api/packages/team-off/generic/kept/2.0.0/kept.bin')
      .auth('bob', PASSWORD)
      .send(Buffer.from('new'))
      .expect(404);
    expect((await bob.get('/team-off/-/packages/generic/kept')).status).toBe(404);
    await request(t.url).get(file).auth(ADMIN.username, ADMIN.password).expect(200);
    expect((await admin.post('/admin/orgs/team-off/enable', {})).status).toBe(303);
    await request(t.url).get(file).auth('bob', PASSWORD).expect(200);
  });

  it('applies the login rate limit to the form: after 10 failures even the right password waits', async () => {
    const web = new WebClient(t.url);
    await web.get('/user/login');
    for (let i = 0; i < 10; i++)
      expect(
        (await web.post('/user/login', { user_name: 'bob', password: `bad-${i}-password` })).status,
      ).toBe(401);
    const blocked = await web.post('/user/login', { user_name: 'bob', password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(web.cookie('wharf_session')).toBeUndefined();
  });
});

describeEachBackend('web interface with REGISTRY_REQUIRE_SIGNIN', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { ...ADMIN_ENV, REGISTRY_REQUIRE_SIGNIN: 'true' });
    await createUser(t.url, 'alice');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends anonymous visitors to sign in, and back where they were going afterwards', async () => {
    const web = new WebClient(t.url);
    const res = await web.get('/alice/-/packages?type=npm');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(
      '/user/login?redirect_to=%2Falice%2F-%2Fpackages%3Ftype%3Dnpm',
    );
    const login = await web.get(res.headers.location);
    expect(login.status).toBe(200);
    expect(login.text).toContain('value="/alice/-/packages?type=npm"');
    const signedIn = await web.post('/user/login', {
      user_name: 'alice',
      password: PASSWORD,
      redirect_to: '/alice/-/packages?type=npm',
    });
    expect(signedIn.headers.location).toBe('/alice/-/packages?type=npm');
    expect((await web.get('/alice/-/packages?type=npm')).status).toBe(200);
  });
});
