import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { findNpm, NpmSandbox } from './support/clients/npm';
import { startTestApp, TestApp } from './support/test-app';

const npm = findNpm();

/** The real npm CLI (11) against Wharf: publish, install, dist-tag, deprecate, view, search, unpublish, login, whoami. */
describeIf(npm.available, npm.missing, 'npm client', () => {
  let t: TestApp;
  let registry: string;
  let sandbox: NpmSandbox;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice', 'private');
    registry = `${t.url}/api/packages/alice/npm/`;
    sandbox = new NpmSandbox(registry, {
      token: await createToken(t.url, 'alice'),
      scope: '@acme',
    });
  });
  afterAll(async () => {
    sandbox?.dispose();
    await t?.close();
  });

  const project = (
    dir: string,
    pkg: Record<string, unknown>,
    files: Record<string, string> = {},
  ) => {
    const d = sandbox.dir(dir);
    writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg, null, 2));
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(d, name), content);
    return d;
  };
  const ok = async (args: string[], cwd?: string) => {
    const r = await sandbox.run(args, cwd);
    if (r.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.code}):\n${r.out}`);
    return r.out;
  };

  it('publishes plain and scoped packages and installs them in a clean directory with an empty cache', async () => {
    await ok(
      ['publish'],
      project(
        'plain',
        { name: 'wharf-plain', version: '1.0.0', main: 'index.js' },
        { 'index.js': 'module.exports = "plain";\n' },
      ),
    );
    await ok(
      ['publish'],
      project(
        'scoped',
        {
          name: '@acme/lib',
          version: '1.2.0',
          main: 'index.js',
          dependencies: { 'wharf-plain': '^1.0.0' },
        },
        {
          'index.js': 'module.exports = "scoped " + require("wharf-plain");\n',
        },
      ),
    );
    const again = await sandbox.run(['publish'], path.join(sandbox.home, 'plain'));
    expect(again.code).not.toBe(0);
    // npm 11 checks the packument first and refuses before its PUT (Wharf would answer 409).
    expect(again.out).toMatch(/cannot publish over the previously published versions: 1\.0\.0/);

    const app = project('app', { name: 'app', version: '0.0.0', private: true });
    await ok(['install', '@acme/lib@1.2.0'], app);
    const installed = path.join(app, 'node_modules');
    expect(existsSync(path.join(installed, '@acme/lib/index.js'))).toBe(true);
    expect(
      JSON.parse(readFileSync(path.join(installed, 'wharf-plain/package.json'), 'utf8')).version,
    ).toBe('1.0.0');
    const lock = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/@acme/lib'].resolved).toBe(
      `${registry}%40acme%2Flib/-/1.2.0/lib-1.2.0.tgz`,
    );
    expect(lock.packages['node_modules/@acme/lib'].integrity).toMatch(/^sha512-/);
  });

  it('installs nothing without credentials for a private owner', async () => {
    const anon = new NpmSandbox(registry);
    try {
      const r = await anon.run(['install', 'wharf-plain'], anon.dir('app'));
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/E401|401/);
    } finally {
      anon.dispose();
    }
  });

  it('adds, lists and removes dist-tags; npm view reads them', async () => {
    await ok(
      ['publish', '--tag', 'beta'],
      project('beta', { name: 'wharf-plain', version: '2.0.0-beta.1' }),
    );
    expect(await ok(['dist-tag', 'ls', 'wharf-plain'])).toMatch(
      /beta: 2\.0\.0-beta\.1\s+latest: 1\.0\.0/,
    );
    await ok(['dist-tag', 'add', 'wharf-plain@1.0.0', 'stable']);
    expect(await ok(['dist-tag', 'ls', 'wharf-plain'])).toMatch(/stable: 1\.0\.0/);
    await ok(['dist-tag', 'rm', 'wharf-plain', 'stable']);
    expect(await ok(['dist-tag', 'ls', 'wharf-plain'])).not.toMatch(/stable/);

    const view = JSON.parse(await ok(['view', 'wharf-plain', '--json']));
    expect(view['dist-tags']).toEqual({ latest: '1.0.0', beta: '2.0.0-beta.1' });
    expect(view.versions).toEqual(['1.0.0', '2.0.0-beta.1']);
    expect(view.dist.tarball).toBe(`${registry}wharf-plain/-/1.0.0/wharf-plain-1.0.0.tgz`);
    expect((await ok(['view', '@acme/lib@1.2.0', 'dependencies', '--json'])).trim()).toBe(
      JSON.stringify({ 'wharf-plain': '^1.0.0' }, null, 2),
    );
  });

  it('deprecates and undeprecates a version', async () => {
    await ok(['deprecate', 'wharf-plain@1.0.0', 'use 2.x']);
    expect((await ok(['view', 'wharf-plain@1.0.0', 'deprecated'])).trim()).toBe('use 2.x');
    const app = project('deprecated-app', { name: 'app2', version: '0.0.0', private: true });
    expect(await ok(['install', 'wharf-plain@1.0.0'], app)).toMatch(
      /deprecated wharf-plain@1\.0\.0: use 2\.x/,
    );
    await ok(['deprecate', 'wharf-plain@1.0.0', '']);
    expect((await ok(['view', 'wharf-plain@1.0.0', 'deprecated'])).trim()).toBe('');
  });

  it('searches', async () => {
    const out = await ok(['search', 'lib', '--json']);
    const hits = JSON.parse(out) as { name: string; version: string }[];
    expect(hits.map((h) => [h.name, h.version])).toEqual([['@acme/lib', '1.2.0']]);
    expect(await ok(['search', 'wharf'])).toMatch(/wharf-plain/);
  });

  it('unpublishes one version, then the whole package', async () => {
    await ok(['unpublish', 'wharf-plain@2.0.0-beta.1']);
    expect(JSON.parse(await ok(['view', 'wharf-plain', 'versions', '--json']))).toEqual(['1.0.0']);
    await ok(['unpublish', 'wharf-plain', '--force']);
    const gone = await sandbox.run(['view', 'wharf-plain']);
    expect(gone.code).not.toBe(0);
    expect(gone.out).toMatch(/E404|404/);
  });

  it('logs in with a password (legacy login) and answers whoami with the new token', async () => {
    const fresh = new NpmSandbox(registry);
    try {
      const login = await fresh.run(['login'], fresh.home, ['alice', PASSWORD]);
      expect(login.code).toBe(0);
      expect(readFileSync(fresh.userconfig, 'utf8')).toMatch(/:_authToken=/);
      expect((await fresh.run(['whoami'])).out.trim()).toBe('alice');
      const wrong = new NpmSandbox(registry);
      const failed = await wrong.run(['login', '--auth-type=legacy'], wrong.home, [
        'alice',
        'wrong-password',
      ]);
      expect(failed.code).not.toBe(0);
      wrong.dispose();
    } finally {
      fresh.dispose();
    }
  });
});
