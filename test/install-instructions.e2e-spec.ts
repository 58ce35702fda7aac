import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { InstallSnippet, installInstructions } from '../libs/web/src/install/install-instructions';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { CargoSandbox, findCargo } from './support/clients/cargo';
import { findGo, GoSandbox, greeterModule } from './support/clients/go';
import { findHelm } from './support/clients/helm';
import { findNpm, NpmSandbox } from './support/clients/npm';
import { buildDistributions, findTwine, PythonSandbox } from './support/clients/pypi';
import { startTestApp, TestApp } from './support/test-app';

const npm = findNpm();
const pip = findTwine();
const helm = findHelm();
const go = findGo();
const cargo = findCargo();
const available = npm.available && pip.available && !!helm.bin && go.available && !!cargo.bin;
const missing = [npm, pip, go]
  .map((c) => c.missing)
  .concat(helm.bin ? '' : helm.missing, cargo.bin ? '' : cargo.missing)
  .filter(Boolean)
  .join(', ');

/**
 * The package page's install instructions, run as a user would paste them: a package is
 * published with its real client, the page's snippets for it are generated from what the
 * API lists (name and version as stored), and each shell line runs verbatim in bash with a
 * scratch HOME (only cache and sandbox locations come from the environment). The owner
 * is public, so no auth setup is substituted.
 */
describeIf(available, missing, 'install instructions, run by the real clients', () => {
  let t: TestApp;
  let token: string;
  let goSandbox: GoSandbox;
  let py: PythonSandbox;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    token = await createToken(t.url, 'alice');
    goSandbox = new GoSandbox();
    py = new PythonSandbox();
  });
  afterAll(async () => {
    goSandbox?.dispose();
    py?.dispose();
    await t?.close();
  });

  /** The snippets the page shows for `alice`'s package `name` of `type`, as the API lists it. */
  async function snippetsFor(type: string, name: string): Promise<InstallSnippet[]> {
    const listed = await request(t.url)
      .get('/api/v1/packages/alice')
      .query({ type, q: name })
      .expect(200);
    const pkg = (listed.body as { name: string; version: string }[]).find((p) => p.name === name);
    if (!pkg) throw new Error(`${type} package ${name} is not listed`);
    const snippets = installInstructions({
      type,
      baseUrl: t.url,
      owner: 'alice',
      name: pkg.name,
      version: pkg.version,
    });
    expect(snippets.length).toBeGreaterThan(0);
    return snippets;
  }

  const shellLines = (snippets: InstallSnippet[]) =>
    snippets.filter((s) => s.language === 'shell').flatMap((s) => s.code.split('\n'));

  /** Runs one generated line verbatim in bash; fails with the client's output unless `allowFailure`. */
  function sh(
    line: string,
    cwd: string,
    env: Record<string, string>,
    allowFailure = false,
  ): Promise<{ code: number; out: string }> {
    return new Promise((resolve, reject) => {
      execFile(
        'bash',
        ['--norc', '--noprofile', '-c', line],
        { cwd, env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const r = {
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          };
          if (r.code !== 0 && !allowFailure)
            reject(new Error(`${line} failed (${r.code}):\n${r.out}`));
          else resolve(r);
        },
      );
    });
  }

  it('npm: the .npmrc line and npm install name@version', async () => {
    const sandbox = new NpmSandbox(`${t.url}/api/packages/alice/npm/`, { token, scope: '@acme' });
    try {
      const lib = sandbox.dir('lib');
      writeFileSync(
        path.join(lib, 'package.json'),
        JSON.stringify({ name: '@acme/install-me', version: '1.2.3', main: 'index.js' }),
      );
      writeFileSync(path.join(lib, 'index.js'), 'module.exports = "installed";\n');
      const published = await sandbox.run(['publish'], lib);
      expect(published.code === 0 ? '' : published.out).toBe('');

      const [npmrc, ...rest] = await snippetsFor('npm', '@acme/install-me');
      expect(npmrc.language).toBe('ini');
      const home = sandbox.dir('user');
      writeFileSync(path.join(home, '.npmrc'), `${npmrc.code}\n`);
      const app = sandbox.dir('user/app');
      writeFileSync(
        path.join(app, 'package.json'),
        '{"name":"app","version":"0.0.0","private":true}',
      );
      const env = {
        PATH: process.env.PATH!,
        HOME: home,
        npm_config_cache: path.join(home, 'cache'),
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_update_notifier: 'false',
      };
      for (const line of shellLines(rest)) await sh(line, app, env);
      const installed = path.join(app, 'node_modules/@acme/install-me');
      expect(JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version).toBe(
        '1.2.3',
      );
      expect(readFileSync(path.join(installed, 'index.js'), 'utf8')).toContain('installed');
    } finally {
      sandbox.dispose();
    }
  });

  it('pypi: pip install --index-url …/simple/ name==version', async () => {
    const out = path.join(py.home, 'dist');
    mkdirSync(out);
    const dists = buildDistributions('wharf-install-me', '2.0.1', out);
    const up = await py.run('twine', [
      'upload',
      '--non-interactive',
      '--disable-progress-bar',
      '--repository-url',
      `${t.url}/api/packages/alice/pypi`,
      '-u',
      'alice',
      '-p',
      token,
      dists.wheel,
    ]);
    expect(up.code === 0 ? '' : up.out).toBe('');

    const target = path.join(py.home, 'target');
    const env = {
      PATH: process.env.PATH!,
      HOME: py.home,
      PIP_CONFIG_FILE: '/dev/null',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      PIP_NO_INPUT: '1',
      PIP_NO_CACHE_DIR: '1',
      PIP_TARGET: target, // installs into a scratch directory, not the machine's Python
    };
    const lines = shellLines(await snippetsFor('pypi', 'wharf-install-me'));
    expect(lines).toHaveLength(1);
    for (const line of lines) await sh(line, py.home, env);
    const info = path.join(target, 'wharf_install_me-2.0.1.dist-info/METADATA');
    expect(readFileSync(info, 'utf8')).toMatch(/^Version: 2\.0\.1$/m);
  });

  it('helm: helm repo add, helm repo update, and helm install finds the chart', async () => {
    const fixture = readFileSync(
      path.join(__dirname, '../libs/registries/helm/src/fixtures/wharf-demo-0.1.0.tgz'),
    );
    await request(t.url)
      .post('/api/packages/alice/helm/api/charts')
      .auth('alice', token)
      .send(fixture)
      .expect(201);

    const home = path.join(py.home, 'helm');
    mkdirSync(home);
    const env = {
      PATH: `${path.dirname(helm.bin!)}:${process.env.PATH!}`,
      HOME: home,
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_DATA_HOME: path.join(home, 'data'),
      KUBECONFIG: path.join(home, 'no-cluster'),
    };
    const lines = shellLines(await snippetsFor('helm', 'wharf-demo'));
    const install = lines.pop()!;
    expect(install).toMatch(/^helm install /);
    for (const line of lines) await sh(line, home, env);
    const index = readFileSync(path.join(home, 'cache/repository/wharf-index.yaml'), 'utf8');
    expect(index).toContain('wharf-demo');
    // There is no cluster here: helm resolves the chart and version in the repository,
    // downloads the chart into its cache and loads it, and only then stops at the cluster.
    const verbatim = await sh(install, home, env, true);
    expect(verbatim.code).not.toBe(0);
    expect(verbatim.out).toMatch(/Kubernetes cluster unreachable/);
    expect(readFileSync(path.join(home, 'cache/repository/wharf-demo-0.1.0.tgz'))).toEqual(fixture);
  });

  it('go: GOPROXY=…,off GONOSUMDB=module go get module@version', async () => {
    const module = 'example.com/install/greeter';
    await request(t.url)
      .put('/api/packages/alice/go/upload')
      .auth('alice', token)
      .set('Content-Type', 'application/zip')
      .send(await goSandbox.moduleZip(module, 'v1.4.0', greeterModule(module, 'Hi')))
      .expect(201);

    const app = goSandbox.writeTree('app', {
      'go.mod': 'module example.com/app\n\ngo 1.19\n',
      'main.go': `package main\n\nimport (\n\t"fmt"\n\n\tlib "${module}/greet"\n)\n\nfunc main() { fmt.Println(lib.Hello("page")) }\n`,
    });
    // The sandbox's locations, but neither its proxy nor its checksum settings: the line sets them.
    const env = goSandbox.env();
    delete env.GOPROXY;
    delete env.GOSUMDB;
    delete env.GONOSUMDB;
    const lines = shellLines(await snippetsFor('go', module));
    expect(lines).toHaveLength(1);
    for (const line of lines) await sh(line, app, env);
    expect(readFileSync(path.join(app, 'go.mod'), 'utf8')).toContain(`${module} v1.4.0`);
    const ran = await goSandbox.run(['run', '.'], app, 'off');
    expect(ran).toEqual({ code: 0, out: 'Hi, page\n' });
    expect(existsSync(path.join(app, 'go.sum'))).toBe(true);
  });

  it('cargo: the config.toml registry and cargo add --registry wharf name@version', async () => {
    const index = `sparse+${t.url}/api/packages/alice/cargo/`;
    const publisher = new CargoSandbox(cargo, [{ name: 'wharf', index, token }]);
    const user = new CargoSandbox(cargo, []);
    try {
      const crate = publisher.writeCrate('crate', {
        'Cargo.toml':
          '[package]\nname = "install_me"\nversion = "0.3.0"\nedition = "2021"\n' +
          'description = "for the page"\nlicense = "MIT"\n',
        'src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
      });
      const published = await publisher.run(
        ['publish', '--registry', 'wharf', '--no-verify', '--allow-dirty'],
        crate,
      );
      expect(published.code === 0 ? '' : published.out).toBe('');

      const snippets = await snippetsFor('cargo', 'install_me');
      const config = snippets.find((s) => s.language === 'toml')!;
      // The snippet is the whole user configuration (the sandbox's own is replaced).
      writeFileSync(path.join(user.cargoHome, 'config.toml'), `${config.code}\n`);
      const app = user.writeCrate('app', {
        'Cargo.toml': '[package]\nname = "app"\nversion = "0.0.0"\nedition = "2021"\n',
        'src/main.rs': 'fn main() { println!("{}", install_me::answer()); }\n',
      });
      const env = {
        PATH: `${path.dirname(cargo.bin!)}:${process.env.PATH!}`,
        HOME: user.home,
        CARGO_HOME: user.cargoHome,
        RUSTUP_HOME: cargo.rustupHome ?? '',
        CARGO_TARGET_DIR: path.join(user.home, 'target'),
        CARGO_TERM_COLOR: 'never',
      };
      const lines = shellLines(snippets);
      expect(lines).toHaveLength(1);
      for (const line of lines) await sh(line, app, env);
      expect(readFileSync(path.join(app, 'Cargo.toml'), 'utf8')).toMatch(
        /install_me = \{ version = "0\.3\.0", registry = "wharf" \}/,
      );
      const fetched = await user.run(['fetch'], app);
      expect(fetched.code === 0 ? '' : fetched.out).toBe('');
      expect(readFileSync(path.join(app, 'Cargo.lock'), 'utf8')).toMatch(
        /name = "install_me"\nversion = "0\.3\.0"\nsource = "sparse\+http/,
      );
    } finally {
      publisher.dispose();
      user.dispose();
    }
  });
});
