import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { buildDistributions, findTwine, PythonSandbox } from './support/clients/pypi';
import { startTestApp, TestApp } from './support/test-app';

const clients = findTwine();

/** Debian's twine uploads a wheel and an sdist; pip installs and downloads them, with Basic credentials for a private owner. */
describeIf(clients.available, clients.missing, 'twine and pip clients', () => {
  let t: TestApp;
  let sb: PythonSandbox;
  let token: string;
  let dists: { wheel: string; sdist: string };
  const repo = () => `${t.url}/api/packages/alice/pypi`;
  const index = (auth = true) =>
    `${auth ? repo().replace('://', `://alice:${token}@`) : repo()}/simple/`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice', 'private');
    token = await createToken(t.url, 'alice');
    sb = new PythonSandbox();
    const out = path.join(sb.home, 'dist');
    mkdirSync(out);
    dists = buildDistributions('wharf-demo', '1.2.0', out);
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  const twine = (...args: string[]) =>
    sb.run('twine', [
      'upload',
      '--non-interactive',
      '--disable-progress-bar',
      '--repository-url',
      repo(),
      '-u',
      'alice',
      '-p',
      token,
      ...args,
    ]);
  const pip = (...args: string[]) => sb.run('python3', ['-m', 'pip', ...args]);

  it('uploads a wheel and an sdist with twine; a second upload is refused, --skip-existing passes', async () => {
    const up = await twine(dists.wheel, dists.sdist);
    expect(up).toMatchObject({ code: 0 });
    const again = await twine(dists.wheel);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/409/);
    expect(await twine('--skip-existing', dists.wheel, dists.sdist)).toMatchObject({ code: 0 });
    const wrong = await sb.run('twine', [
      'upload',
      '--non-interactive',
      '--repository-url',
      repo(),
      '-u',
      'alice',
      '-p',
      'wrong-password',
      dists.wheel,
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/401|403|Invalid or non-existent authentication/);
  });

  it('installs the wheel with pip from the private index, with Basic credentials in the index URL', async () => {
    const target = path.join(sb.home, 'site');
    const res = await pip(
      'install',
      '--no-deps',
      '--no-cache-dir',
      '--index-url',
      index(),
      '--target',
      target,
      'Wharf_Demo==1.2.0',
    );
    expect(res).toMatchObject({ code: 0 });
    expect(readFileSync(path.join(target, 'wharf_demo/__init__.py'), 'utf8')).toBe(
      "VERSION = '1.2.0'\n",
    );
    expect(existsSync(path.join(target, 'wharf_demo-1.2.0.dist-info/METADATA'))).toBe(true);
    const anon = await pip(
      'install',
      '--no-deps',
      '--no-cache-dir',
      '--index-url',
      index(false),
      '--target',
      path.join(sb.home, 'anon'),
      'wharf-demo',
    );
    expect(anon.code).not.toBe(0);
  });

  it('downloads the wheel and the sdist with pip into clean directories', async () => {
    const wheels = path.join(sb.home, 'wheels');
    expect(
      await pip(
        'download',
        '--no-deps',
        '--no-cache-dir',
        '--only-binary',
        ':all:',
        '--index-url',
        index(),
        '-d',
        wheels,
        'wharf-demo',
      ),
    ).toMatchObject({ code: 0 });
    expect(readdirSync(wheels)).toEqual([path.basename(dists.wheel)]);
    expect(readFileSync(path.join(wheels, path.basename(dists.wheel)))).toEqual(
      readFileSync(dists.wheel),
    );
    const sdists = path.join(sb.home, 'sdists');
    // The sdist carries an in-tree PEP 517 backend without requirements: pip prepares it offline.
    const res = await pip(
      'download',
      '--no-deps',
      '--no-cache-dir',
      '--no-binary',
      ':all:',
      '--index-url',
      index(),
      '-d',
      sdists,
      'wharf-demo==1.2.0',
    );
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(readdirSync(sdists)).toEqual([path.basename(dists.sdist)]);
    expect(readFileSync(path.join(sdists, path.basename(dists.sdist)))).toEqual(
      readFileSync(dists.sdist),
    );
    const target = path.join(sb.home, 'from-sdist');
    const built = await pip(
      'install',
      '--no-deps',
      '--no-cache-dir',
      '--no-binary',
      ':all:',
      '--index-url',
      index(),
      '--target',
      target,
      'wharf-demo',
    );
    expect(built.code === 0 ? '' : built.out).toBe('');
    expect(readFileSync(path.join(target, 'wharf_demo/__init__.py'), 'utf8')).toBe(
      "VERSION = '1.2.0'\n",
    );
  });
});
