import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { CargoSandbox, findCargo } from './support/clients/cargo';
import { startTestApp, TestApp } from './support/test-app';

const cargo = findCargo();

const LIB = 'wharf-demo-lib';
const BIN = 'wharf_demo_bin';

const libCrate = (version: string, greeting: string) => ({
  'Cargo.toml': [
    '[package]',
    `name = "${LIB}"`,
    `version = "${version}"`,
    'edition = "2021"',
    'description = "A library published to Wharf by cargo"',
    'license = "MIT"',
    '',
    '[features]',
    'default = ["std"]',
    'std = []',
    '',
  ].join('\n'),
  'src/lib.rs': `pub fn greeting() -> &'static str { "${greeting}" }\n`,
});

const dependent = (name: string, registry: string, bin: boolean) => ({
  'Cargo.toml': [
    '[package]',
    `name = "${name}"`,
    'version = "1.0.0"',
    'edition = "2021"',
    'description = "Depends on a crate from Wharf"',
    'license = "MIT"',
    '',
    '[dependencies]',
    `demo = { package = "${LIB}", version = "0.1", registry = "${registry}" }`,
    '',
  ].join('\n'),
  [bin ? 'src/main.rs' : 'src/main.rs']:
    'fn main() { println!("{} from {}", demo::greeting(), env!("CARGO_PKG_NAME")); }\n',
});

/**
 * cargo 1.95 against the sparse index and web API: publish (a library, then a binary
 * crate that depends on it), install, fetch + offline build, yank and undo, search —
 * for a public owner and, with `auth-required`, a private one.
 */
describeIf(!!cargo.bin, cargo.missing, 'cargo client', () => {
  let t: TestApp;
  let sb: CargoSandbox;
  let anon: CargoSandbox;
  const index = (owner: string) => `sparse+${t.url}/api/packages/${owner}/cargo/`;
  const base = (owner: string) => `/api/packages/${owner}/cargo`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    sb = new CargoSandbox(cargo, [
      { name: 'wharf', index: index('alice'), token: await createToken(t.url, 'alice') },
      { name: 'private', index: index('carol'), token: await createToken(t.url, 'carol') },
    ]);
    anon = new CargoSandbox(cargo, [{ name: 'private', index: index('carol') }]);
  }, 60_000);
  afterAll(async () => {
    sb?.dispose();
    anon?.dispose();
    await t?.close();
  });

  it('publishes a library; its index line carries the checksum of the .crate it serves', async () => {
    const dir = sb.writeCrate('lib', libCrate('0.1.0', 'hello'));
    const res = await sb.run(['publish', '--registry', 'wharf', '--allow-dirty'], dir);
    expect(res).toMatchObject({ code: 0 });
    expect(res.out).toMatch(/Published wharf-demo-lib v0.1.0|Uploaded wharf-demo-lib v0.1.0/);

    const line = await request(t.url)
      .get(`${base('alice')}/wh/ar/${LIB}`)
      .expect(200);
    const entry = JSON.parse(line.text.trim());
    const crate = await request(t.url)
      .get(`${base('alice')}/api/v1/crates/${LIB}/0.1.0/download`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(entry).toMatchObject({
      name: LIB,
      vers: '0.1.0',
      deps: [],
      features: { default: ['std'], std: [] },
      yanked: false,
      cksum: createHash('sha256')
        .update(crate.body as Buffer)
        .digest('hex'),
    });
  });

  it('publishes a binary crate that depends on the library (cargo verifies it by building)', async () => {
    const dir = sb.writeCrate('bin', dependent(BIN, 'wharf', true));
    const res = await sb.run(['publish', '--registry', 'wharf', '--allow-dirty'], dir);
    expect(res).toMatchObject({ code: 0 });
    const line = await request(t.url)
      .get(`${base('alice')}/wh/ar/${BIN}`)
      .expect(200);
    expect(JSON.parse(line.text.trim()).deps).toEqual([
      {
        name: 'demo',
        package: LIB,
        req: '^0.1',
        features: [],
        optional: false,
        default_features: true,
        target: null,
        kind: 'normal',
        registry: null,
      },
    ]);
  });

  it('installs the binary crate into a scratch root and runs it', async () => {
    const root = path.join(sb.home, 'install-root');
    const res = await sb.run(['install', '--registry', 'wharf', BIN, '--root', root]);
    expect(res).toMatchObject({ code: 0 });
    const exe = path.join(root, 'bin', BIN);
    expect(existsSync(exe)).toBe(true);
    expect(execFileSync(exe, { encoding: 'utf8' })).toBe(`hello from ${BIN}\n`);
  });

  it('fetches a consumer crate’s dependencies, then builds it offline', async () => {
    const dir = sb.writeCrate('consumer', dependent('consumer', 'wharf', true));
    expect(await sb.run(['fetch'], dir)).toMatchObject({ code: 0 });
    const build = await sb.run(['run', '--offline', '--quiet'], dir);
    expect(build).toMatchObject({ code: 0 });
    expect(build.out).toContain('hello from consumer');
  });

  it('yanks a version and undoes it; the index line follows each time', async () => {
    const yanked = async () =>
      JSON.parse(
        (
          await request(t.url)
            .get(`${base('alice')}/wh/ar/${LIB}`)
            .expect(200)
        ).text,
      ).yanked as boolean;
    const yank = await sb.run(['yank', '--registry', 'wharf', '--version', '0.1.0', LIB]);
    expect(yank).toMatchObject({ code: 0 });
    expect(await yanked()).toBe(true);
    const undo = await sb.run(['yank', '--undo', '--registry', 'wharf', '--version', '0.1.0', LIB]);
    expect(undo).toMatchObject({ code: 0 });
    expect(await yanked()).toBe(false);
  });

  it('searches the registry', async () => {
    const res = await sb.run(['search', '--registry', 'wharf', 'wharf-demo']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.out).toMatch(/wharf-demo-lib = "0\.1\.0"\s+# A library published to Wharf by cargo/);
    expect(res.out).toMatch(/wharf_demo_bin = "1\.0\.0"/);
  });

  it('lists the owner of a crate', async () => {
    const res = await sb.run(['owner', '--list', '--registry', 'wharf', LIB]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.out).toContain('alice');
  });

  it('works with a private owner (auth-required): publish, fetch, build; no token, no index', async () => {
    const config = await request(t.url)
      .get(`${base('carol')}/config.json`)
      .auth('carol', PASSWORD)
      .expect(200);
    expect(JSON.parse(config.text)['auth-required']).toBe(true);

    const lib = sb.writeCrate('private-lib', libCrate('0.1.0', 'psst'));
    expect(await sb.run(['publish', '--registry', 'private', '--allow-dirty'], lib)).toMatchObject({
      code: 0,
    });
    const dir = sb.writeCrate('private-consumer', dependent('private-consumer', 'private', true));
    expect(await sb.run(['fetch'], dir)).toMatchObject({ code: 0 });
    const build = await sb.run(['run', '--offline', '--quiet'], dir);
    expect(build).toMatchObject({ code: 0 });
    expect(build.out).toContain('psst from private-consumer');

    const refused = anon.writeCrate('consumer', dependent('anon-consumer', 'private', true));
    const res = await anon.run(['fetch'], refused);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/401|token|authentication|credential/i);
  });
});
