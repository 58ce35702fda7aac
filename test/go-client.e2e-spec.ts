import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { findGo, GoSandbox, greeterModule } from './support/clients/go';
import { startTestApp, TestApp } from './support/test-app';

const client = findGo();

/**
 * Debian's go 1.19 against Wharf (docs/protocols/go.md §6): module zips made by the
 * toolchain's own golang.org/x/mod/zip, published with a plain PUT, then `go get` and
 * `go run` in clean module caches with Wharf as the only proxy (`GOPROXY=<wharf>,off`).
 */
describeIf(client.available, client.missing, 'go client', () => {
  let t: TestApp;
  let sb: GoSandbox;
  let token: string;
  const proxy = (owner: string) => `${t.url}/api/packages/${owner}/go`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    token = await createToken(t.url, 'alice');
    sb = new GoSandbox();
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  const publish = (owner: string, user: string, secret: string, zip: Buffer) =>
    request(t.url)
      .put(`/api/packages/${owner}/go/upload`)
      .auth(user, secret)
      .set('Content-Type', 'application/zip')
      .send(zip);

  /** A main module importing `imports`, in its own directory and with its own module cache. */
  function app(dir: string, imports: string, call: string): string {
    return sb.writeTree(dir, {
      'go.mod': `module example.com/${dir}\n\ngo 1.19\n`,
      'main.go': `package main\n\nimport (\n\t"fmt"\n\n\tlib "${imports}"\n)\n\nfunc main() { fmt.Println(${call}) }\n`,
    });
  }

  // An upper-case letter in the path: the go command asks for `example.com/!wharf/greeter`.
  const greeter = 'example.com/Wharf/greeter';

  it('go get and go run a module published as a zip; go list -m -versions reads @v/list', async () => {
    await publish(
      'alice',
      'alice',
      token,
      await sb.moduleZip(greeter, 'v1.0.0', greeterModule(greeter, 'Hello')),
    ).expect(201);
    await publish(
      'alice',
      'alice',
      token,
      await sb.moduleZip(greeter, 'v1.1.0', greeterModule(greeter, 'Howdy')),
    ).expect(201);

    const root = app('hello', `${greeter}/greet`, 'lib.Hello("Wharf")');
    const got = await sb.run(['get', `${greeter}@latest`], root, `${proxy('alice')},off`);
    expect(got.code === 0 ? '' : got.out).toBe('');
    expect(got.out).toMatch(/added example\.com\/Wharf\/greeter v1\.1\.0/);
    expect(await sb.run(['run', '.'], root, `${proxy('alice')},off`)).toEqual({
      code: 0,
      out: 'Howdy, Wharf\n',
    });
    const versions = await sb.run(
      ['list', '-m', '-versions', greeter],
      root,
      `${proxy('alice')},off`,
    );
    expect(versions).toEqual({ code: 0, out: `${greeter} v1.0.0 v1.1.0\n` });
  });

  it('builds a second module that depends on the first, resolving the dependency through Wharf', async () => {
    const shout = 'example.com/wharf/shout';
    await publish(
      'alice',
      'alice',
      token,
      await sb.moduleZip(shout, 'v0.1.0', {
        'go.mod': `module ${shout}\n\ngo 1.19\n\nrequire ${greeter} v1.0.0\n`,
        'shout.go': `package shout\n\nimport (\n\t"strings"\n\n\t"${greeter}/greet"\n)\n\n// Loud greets who, loudly.\nfunc Loud(who string) string { return strings.ToUpper(greet.Hello(who)) }\n`,
      }),
    ).expect(201);
    // A fresh module cache: everything comes from Wharf again.
    const fresh = new GoSandbox();
    try {
      const root = fresh.writeTree('loud', {
        'go.mod': 'module example.com/loud\n\ngo 1.19\n',
        'main.go': `package main\n\nimport (\n\t"fmt"\n\n\t"${shout}"\n)\n\nfunc main() { fmt.Println(shout.Loud("wharf")) }\n`,
      });
      const got = await fresh.run(['get', `${shout}@v0.1.0`], root, `${proxy('alice')},off`);
      expect(got.code === 0 ? '' : got.out).toBe('');
      expect(await fresh.run(['run', '.'], root, `${proxy('alice')},off`)).toEqual({
        code: 0,
        out: 'HELLO, WHARF\n',
      });
      // The dependency was fetched at the version shout requires (minimal version selection).
      const list = await fresh.run(['list', '-m', 'all'], root, `${proxy('alice')},off`);
      expect(list.out).toContain(`${greeter} v1.0.0`);
    } finally {
      fresh.dispose();
    }
  });

  it('fails at once for a module Wharf does not have (404, then GOPROXY=off)', async () => {
    const root = app('missing', 'example.com/wharf/nothing', 'lib.X');
    const got = await sb.run(
      ['get', 'example.com/wharf/nothing@latest'],
      root,
      `${proxy('alice')},off`,
    );
    expect(got.code).not.toBe(0);
    expect(got.out).toMatch(/module lookup disabled by GOPROXY=off/);
    const branch = await sb.run(['get', `${greeter}@main`], root, `${proxy('alice')},off`);
    expect(branch.code).not.toBe(0);
    expect(branch.out).toMatch(/module lookup disabled by GOPROXY=off|404 Not Found/);
  });

  it('serves a private owner over HTTP to curl with a token; the go command sends none over http', async () => {
    const secret = 'example.com/carol/secret';
    const carolToken = await createToken(t.url, 'carol');
    await publish(
      'carol',
      'carol',
      carolToken,
      await sb.moduleZip(secret, 'v1.0.0', greeterModule(secret, 'Psst')),
    ).expect(201);
    // Asynchronously: the server answers from this very process.
    const curl = async (...args: string[]) =>
      (await promisify(execFile)('curl', ['-sS', '-w', '\n%{http_code}', ...args])).stdout;
    expect(await curl(`${proxy('carol')}/${secret}/@v/list`)).toMatch(/\n401$/);
    expect(await curl('-u', `carol:${carolToken}`, `${proxy('carol')}/${secret}/@v/list`)).toBe(
      'v1.0.0\n\n200',
    );
    expect(
      await curl(
        '-H',
        `Authorization: Bearer ${carolToken}`,
        `${proxy('carol')}/${secret}/@latest`,
      ),
    ).toMatch(/^\{"Version":"v1\.0\.0","Time":"[^"]+"\}\n200$/);
    // go reads ~/.netrc for https hosts only: over http it asks anonymously and gets the 401.
    const root = app('private', `${secret}/greet`, 'lib.Hello("x")');
    const got = await sb.run(['get', `${secret}@v1.0.0`], root, `${proxy('carol')},off`);
    expect(got.code).not.toBe(0);
    expect(got.out).toMatch(/401 Unauthorized/);
  });
});
