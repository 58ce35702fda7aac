import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import {
  ComposerSandbox,
  composerArchive,
  findComposer,
  libraryEntries,
} from './support/clients/composer';
import { startTestApp, TestApp } from './support/test-app';

const client = findComposer();

/**
 * Debian's composer 2.5 against Wharf (docs/protocols/composer.md §6): a library published
 * with a plain PUT, then `composer require` into a clean project whose only repository is
 * Wharf, and the autoloaded class called with php — for a public and a private owner.
 */
describeIf(client.available, client.missing, 'composer client', () => {
  let t: TestApp;
  let sb: ComposerSandbox;
  let token: string;
  let hostPort: string;
  const repo = (owner: string) => `${t.url}/api/packages/${owner}/composer`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    token = await createToken(t.url, 'alice');
    sb = new ComposerSandbox();
    hostPort = new URL(t.url).host;
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  const publish = (owner: string, user: string, secret: string, body: Buffer, version: string) =>
    request(t.url)
      .put(`/api/packages/${owner}/composer?version=${encodeURIComponent(version)}`)
      .auth(user, secret)
      .set('Content-Type', 'application/zip')
      .send(body);

  /** A clean project whose only repository is `owner`'s Wharf repository (Packagist off). */
  function project(dir: string, owner: string, extra: Record<string, unknown> = {}): string {
    const root = path.join(sb.home, dir);
    mkdirSync(root);
    writeFileSync(
      path.join(root, 'composer.json'),
      JSON.stringify({
        name: 'wharf-tests/app',
        repositories: [{ type: 'composer', url: repo(owner) }, { 'packagist.org': false }],
        config: { 'secure-http': false },
        ...extra,
      }),
    );
    return root;
  }

  const call = (root: string, expr: string) =>
    sb.run(['-r', `require 'vendor/autoload.php'; echo ${expr};`], root, {}, 'php');

  it('requires a library published with a plain PUT, autoloads it and calls its class', async () => {
    const zip = composerArchive(libraryEntries('acme/greeter', 'Hello'));
    await publish('alice', 'alice', token, zip, '1.0.0').expect(201);
    const newer = composerArchive(libraryEntries('acme/greeter', 'Howdy'));
    await publish('alice', 'alice', token, newer, '1.1.0').expect(201);

    const root = project('public-app', 'alice');
    const res = await sb.run(['require', '--no-progress', 'acme/greeter:^1.0'], root);
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(res.out).toMatch(/acme\/greeter \(1\.1\.0\)/);
    expect(await call(root, `\\Acme\\Greeter\\Greeter::greet('Wharf')`)).toEqual({
      code: 0,
      out: 'Howdy, Wharf',
    });
    // A pinned older version resolves too, and the lock file names Wharf's dist URL and sha1.
    const pinned = await sb.run(['require', '--no-progress', 'acme/greeter:1.0.0'], root);
    expect(pinned.code === 0 ? '' : pinned.out).toBe('');
    const lock = JSON.parse(readFileSync(path.join(root, 'composer.lock'), 'utf8')) as {
      packages: { name: string; version: string; dist: Record<string, string> }[];
    };
    expect(lock.packages).toEqual([
      expect.objectContaining({
        name: 'acme/greeter',
        version: '1.0.0',
        dist: {
          type: 'zip',
          url: `${repo('alice')}/files/acme%2Fgreeter/1.0.0/acme-greeter.1.0.0.zip`,
          shasum: createHash('sha1').update(zip).digest('hex'),
        },
      }),
    ]);
    expect(await call(root, `\\Acme\\Greeter\\Greeter::greet('again')`)).toEqual({
      code: 0,
      out: 'Hello, again',
    });
  });

  it('installs a dev version from ~dev.json when the constraint asks for one', async () => {
    const zip = composerArchive(libraryEntries('acme/greeter', 'Nightly'));
    await publish('alice', 'alice', token, zip, 'dev-main').expect(201);
    const root = project('dev-app', 'alice');
    const res = await sb.run(['require', '--no-progress', 'acme/greeter:dev-main'], root);
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(await call(root, `\\Acme\\Greeter\\Greeter::greet('dev')`)).toEqual({
      code: 0,
      out: 'Nightly, dev',
    });
  });

  it('requires from a private owner with COMPOSER_AUTH http-basic keyed by host:port, and fails without it', async () => {
    const carolToken = await createToken(t.url, 'carol');
    const tgz = composerArchive(libraryEntries('carol/secret-lib', 'Psst'), 'tar.gz');
    await publish('carol', 'carol', carolToken, tgz, '2.0.0').expect(201);
    const root = project('private-app', 'carol');
    const anonymous = await sb.run(['require', '--no-progress', 'carol/secret-lib'], root);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.out).toMatch(/packages\.json' URL\s+required authentication \(HTTP 401\)/);
    const auth = JSON.stringify({
      'http-basic': { [hostPort]: { username: 'carol', password: carolToken } },
    });
    const res = await sb.run(['require', '--no-progress', 'carol/secret-lib'], root, {
      COMPOSER_AUTH: auth,
    });
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(res.out).toMatch(/carol\/secret-lib \(2\.0\.0\)/);
    expect(await call(root, `\\Acme\\Greeter\\Greeter::greet('you')`)).toEqual({
      code: 0,
      out: 'Psst, you',
    });
  });

  it('finds the package with composer search', async () => {
    const root = project('search-app', 'alice');
    const res = await sb.run(['search', 'greet'], root);
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(res.out).toMatch(/acme\/greeter/);
  });
});
