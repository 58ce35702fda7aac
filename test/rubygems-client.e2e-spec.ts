import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { buildGem, findRubyTools, RubySandbox } from './support/clients/rubygems';
import { startTestApp, TestApp } from './support/test-app';

const tools = findRubyTools();

/**
 * Debian's gem 3.3 and bundler 2.3 against a private owner (docs/protocols/rubygems.md §6):
 * gem build + push with the key in ~/.gem/credentials (sent verbatim), gem install from
 * Wharf alone with Basic credentials in the source URL, bundle install from a Gemfile whose
 * only source is Wharf, gem yank.
 */
describeIf(tools.available, tools.missing, 'gem and bundler clients', () => {
  let t: TestApp;
  let sb: RubySandbox;
  let token: string;
  let gems: { dep: string; app: string };
  const host = () => `${t.url}/api/packages/alice/rubygems`;
  const source = () => `${host().replace('://', `://alice:${token}@`)}/`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice', 'private');
    token = await createToken(t.url, 'alice');
    sb = new RubySandbox();
    const out = path.join(sb.home, 'build');
    mkdirSync(out);
    gems = {
      dep: buildGem(out, { name: 'wharf_dep', version: '1.0.0' }),
      app: buildGem(out, {
        name: 'wharf_app',
        version: '1.1.0',
        dependencies: [['wharf_dep', '~> 1.0']],
        body: 'require "wharf_dep"\nmodule WharfApp\n  def self.hello = "app says " + WharfDep.hello\nend\n',
      }),
    };
    // gem refuses a credentials file others can read.
    mkdirSync(path.join(sb.home, '.gem'));
    const credentials = path.join(sb.home, '.gem', 'credentials');
    writeFileSync(credentials, `---\n${JSON.stringify(host())}: ${token}\n`);
    chmodSync(credentials, 0o600);
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  it('pushes with gem push --host and the key from ~/.gem/credentials', async () => {
    for (const file of [gems.dep, gems.app]) {
      const res = await sb.run('gem', ['push', '--host', host(), file]);
      expect(res).toMatchObject({ code: 0, out: expect.stringMatching(/Successfully registered/) });
    }
    const again = await sb.run('gem', ['push', '--host', host(), gems.dep]);
    expect(again.out).toMatch(/already exists|conflict/i);
    const wrong = await sb.run('gem', ['push', '--host', host(), gems.dep], {
      env: { GEM_HOST_API_KEY: '0'.repeat(40) },
    });
    expect(wrong.out).toMatch(/invalid or expired access token/);
  });

  it('installs with gem install --clear-sources --source into a clean GEM_HOME, pulling the dependency', async () => {
    const res = await sb.run('gem', [
      'install',
      '--clear-sources',
      '--source',
      source(),
      '--no-document',
      'wharf_app',
    ]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.out).toMatch(/Successfully installed wharf_dep-1.0.0/);
    expect(res.out).toMatch(/Successfully installed wharf_app-1.1.0/);
    const run = await sb.run('ruby', ['-e', 'require "wharf_app"; print WharfApp.hello']);
    expect(run).toEqual({ code: 0, out: 'app says hello from wharf_dep 1.0.0' });
  });

  it('bundle install resolves through the compact index of a Gemfile whose only source is Wharf', async () => {
    const app = path.join(sb.home, 'app');
    mkdirSync(app);
    writeFileSync(
      path.join(app, 'Gemfile'),
      `source ${JSON.stringify(`${host()}/`)}\ngem "wharf_app", "~> 1.1"\n`,
    );
    const env = { BUNDLE_GEMFILE: path.join(app, 'Gemfile'), GEM_HOME: path.join(app, 'gems') };
    const config = await sb.run(
      'bundle',
      ['config', 'set', '--global', `${host()}/`, `alice:${token}`],
      {
        cwd: app,
        env,
      },
    );
    expect(config.code).toBe(0);
    const res = await sb.run('bundle', ['install', '--verbose'], { cwd: app, env });
    expect(res).toMatchObject({ code: 0 });
    // Bundler read /versions and the info files, not the full index.
    expect(res.out).toMatch(/versions/);
    expect(res.out).toMatch(/info\/wharf_app/);
    expect(res.out).not.toMatch(/specs\.4\.8/);
    const run = await sb.run(
      'bundle',
      ['exec', 'ruby', '-e', 'require "wharf_app"; print WharfApp.hello'],
      { cwd: app, env },
    );
    expect(run).toMatchObject({ code: 0, out: expect.stringContaining('app says hello') });
  });

  it('yanks with gem yank', async () => {
    const res = await sb.run('gem', ['yank', 'wharf_app', '-v', '1.1.0', '--host', host()]);
    expect(res).toMatchObject({ code: 0 });
    await request(t.url)
      .get('/api/packages/alice/rubygems/info/wharf_app')
      .auth('alice', token)
      .expect(404);
  });
});
