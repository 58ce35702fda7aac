import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { findNuGet, nuspec, NuGetSandbox } from './support/clients/nuget';
import { startTestApp, TestApp } from './support/test-app';

const client = findNuGet();

/**
 * Debian's NuGet.exe 2.8 on mono against Wharf (docs/protocols/nuget.md §6): `pack` of a
 * .nuspec with a content file, `push` with the API key, `list`, `install` into a scratch
 * directory and `delete` — through a private NuGet.Config with one source — for a public
 * owner and for a private one, whose feed answers 401 until NuGet.exe sends the source's
 * credentials. NuGet.exe 2.8 speaks only v2 (OData); v3 is covered over HTTP in nuget.e2e-spec.
 */
describeIf(client.available, client.missing, 'NuGet.exe client', () => {
  let t: TestApp;
  let sb: NuGetSandbox;
  let aliceToken: string;
  let carolToken: string;
  const feed = (owner: string) => `${t.url}/api/packages/${owner}/nuget`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    aliceToken = await createToken(t.url, 'alice', ['write:package']);
    carolToken = await createToken(t.url, 'carol', ['write:package']);
    sb = new NuGetSandbox();
  }, 60_000);
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  /** `nuget pack` of a .nuspec with a content file; returns the .nupkg's name (relative to the build dir). */
  async function pack(dir: string, id: string, version: string, greeting: string) {
    const build = sb.dir(dir);
    writeFileSync(path.join(build, 'greeting.txt'), greeting);
    writeFileSync(
      path.join(build, `${id}.nuspec`),
      nuspec({
        id,
        version,
        extra:
          '    <projectUrl>https://example.com/demo</projectUrl>\n    <tags>wharf demo</tags>\n',
      }).replace(
        '</package>',
        '<files><file src="greeting.txt" target="content" /></files></package>',
      ),
    );
    const res = await sb.run(['pack', `${id}.nuspec`], build);
    expect(res.code === 0 ? '' : res.out).toBe('');
    return { build, file: `${id}.${version}.nupkg` };
  }

  it('packs, pushes with the API key, lists, installs and deletes on a public owner', async () => {
    sb.configure(feed('alice'));
    const { build, file } = await pack('alice-build', 'Wharf.Demo', '1.0.0', 'hello from alice');
    const push = await sb.run(['push', file, '-Source', 'wharf', '-ApiKey', aliceToken], build);
    expect(push.code === 0 ? '' : push.out).toBe('');
    expect(push.out).toMatch(/Your package was pushed/);
    const older = await pack('alice-build-2', 'Wharf.Demo', '0.9.0', 'older');
    await sb.run(['push', older.file, '-Source', 'wharf', '-ApiKey', aliceToken], older.build);

    const list = await sb.run(['list', '-Source', 'wharf']);
    expect(list.code === 0 ? '' : list.out).toBe('');
    expect(list.out).toMatch(/^Wharf\.Demo 1\.0\.0$/m);

    const out = sb.dir('alice-out');
    const install = await sb.run([
      'install',
      'Wharf.Demo',
      '-Source',
      'wharf',
      '-OutputDirectory',
      'alice-out',
    ]);
    expect(install.code === 0 ? '' : install.out).toBe('');
    const content = path.join(out, 'Wharf.Demo.1.0.0', 'content', 'greeting.txt');
    expect(readFileSync(content, 'utf8')).toBe('hello from alice');

    const pinned = await sb.run([
      'install',
      'Wharf.Demo',
      '-Version',
      '0.9.0',
      '-Source',
      'wharf',
      '-OutputDirectory',
      'alice-out',
    ]);
    expect(pinned.code === 0 ? '' : pinned.out).toBe('');
    expect(existsSync(path.join(out, 'Wharf.Demo.0.9.0', 'content', 'greeting.txt'))).toBe(true);

    const del = await sb.run([
      'delete',
      'Wharf.Demo',
      '1.0.0',
      '-Source',
      'wharf',
      '-ApiKey',
      aliceToken,
    ]);
    expect(del.code === 0 ? '' : del.out).toBe('');
    await request(t.url)
      .get('/api/packages/alice/nuget/package/wharf.demo/1.0.0/wharf.demo.1.0.0.nupkg')
      .expect(404);
  }, 300_000);

  it('sends the source credentials to a private owner after the feed root answers 401', async () => {
    sb.configure(feed('carol'), 'carol', carolToken);
    await request(t.url).get('/api/packages/carol/nuget').expect(401);
    const { build, file } = await pack(
      'carol-build',
      'Carol.Secret',
      '2.0.0-beta1',
      'hello from carol',
    );
    const push = await sb.run(['push', file, '-Source', 'wharf', '-ApiKey', carolToken], build);
    expect(push.code === 0 ? '' : push.out).toBe('');

    const list = await sb.run(['list', '-Source', 'wharf', '-Prerelease']);
    expect(list.code === 0 ? '' : list.out).toBe('');
    expect(list.out).toMatch(/^Carol\.Secret 2\.0\.0-beta1$/m);

    const out = sb.dir('carol-out');
    const install = await sb.run([
      'install',
      'Carol.Secret',
      '-Prerelease',
      '-Source',
      'wharf',
      '-OutputDirectory',
      'carol-out',
    ]);
    expect(install.code === 0 ? '' : install.out).toBe('');
    const content = path.join(out, 'Carol.Secret.2.0.0-beta1', 'content', 'greeting.txt');
    expect(readFileSync(content, 'utf8')).toBe('hello from carol');
  }, 300_000);

  it('shows the reason of a refused push (the version exists) and exits non-zero', async () => {
    sb.configure(feed('alice'));
    const { build, file } = await pack('alice-dup', 'Wharf.Dup', '1.0.0', 'one');
    expect(
      (await sb.run(['push', file, '-Source', 'wharf', '-ApiKey', aliceToken], build)).code,
    ).toBe(0);
    const again = await sb.run(['push', file, '-Source', 'wharf', '-ApiKey', aliceToken], build);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/already exists/);
  }, 300_000);
});
