import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { buildBox, findVagrant, VagrantSandbox } from './support/clients/vagrant';
import { startTestApp, TestApp } from './support/test-app';

const client = findVagrant();

/**
 * Debian's vagrant 2.3 against Wharf (docs/protocols/vagrant.md §5–6): boxes PUT with a
 * plain HTTP request, then `vagrant box add --box-version` of the catalog URL into a
 * scratch VAGRANT_HOME — Vagrant checks each download against the catalog's SHA-512 —
 * for a public owner and, with VAGRANT_SERVER_URL and VAGRANT_CLOUD_TOKEN, a private one.
 * No provider is installed: `box add` only unpacks the box.
 */
describeIf(client.available, client.missing, 'vagrant client', () => {
  let t: TestApp;
  let sb: VagrantSandbox;
  let aliceToken: string;
  let carolToken: string;
  const base = (owner: string) => `/api/packages/${owner}/vagrant`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice');
    await createUser(t.url, 'carol', 'private');
    aliceToken = await createToken(t.url, 'alice');
    carolToken = await createToken(t.url, 'carol');
    sb = new VagrantSandbox();
  });
  afterAll(async () => {
    sb?.dispose();
    await t?.close();
  });

  const put = (owner: string, token: string, box: string, version: string, body: Buffer) =>
    request(t.url)
      .put(`${base(owner)}/${box}/${version}/virtualbox.box`)
      .set('Authorization', `Bearer ${token}`)
      .send(body)
      .expect(201);

  /** Where Vagrant unpacked a box: VAGRANT_HOME/boxes/{name}/{version}/{provider}/. */
  const unpacked = (name: string, version: string, file: string) =>
    path.join(sb.vagrantHome, 'boxes', name, version, 'virtualbox', file);

  it('adds a chosen version of a public box from its catalog URL, checksum verified', async () => {
    const old = buildBox({ info: { description: 'Old' }, files: { 'marker.txt': 'one' } });
    const newer = buildBox({ info: { description: 'New' }, files: { 'marker.txt': 'two' } });
    await put('alice', aliceToken, 'tiny', '1.0.0', old);
    await put('alice', aliceToken, 'tiny', '1.1.0', newer);

    const res = await sb.run([
      'box',
      'add',
      '--box-version',
      '1.0.0',
      `${t.url}${base('alice')}/tiny`,
    ]);
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(res.out).toMatch(/Loading metadata for box/);
    expect(res.out).toMatch(/Calculating and comparing box checksum/);
    expect(res.out).toMatch(/Successfully added box 'tiny' \(v1\.0\.0\) for 'virtualbox'/);
    expect(readFileSync(unpacked('tiny', '1.0.0', 'marker.txt'), 'utf8')).toBe('one');
    // Vagrant remembers where the box came from, for `vagrant box outdated`.
    expect(readFileSync(path.join(sb.vagrantHome, 'boxes', 'tiny', 'metadata_url'), 'utf8')).toBe(
      `${t.url}${base('alice')}/tiny`,
    );

    const list = await sb.run(['box', 'list']);
    expect(list.out).toMatch(/tiny\s+\(virtualbox, 1\.0\.0\)/);
  });

  it('refuses a box whose bytes do not match the catalog checksum', async () => {
    // The catalog names the box by its checksum; one with other bytes under the same URL
    // cannot exist in Wharf, so the check is shown against a catalog served by the test.
    const box = buildBox({ files: { 'marker.txt': 'three' } });
    await put('alice', aliceToken, 'checked', '2.0.0', box);
    const catalog = (
      await request(t.url)
        .get(`${base('alice')}/checked`)
        .expect(200)
    ).body;
    expect(catalog.versions[0].providers[0]).toEqual({
      name: 'virtualbox',
      url: `${t.url}${base('alice')}/checked/2.0.0/virtualbox.box`,
      checksum: createHash('sha512').update(box).digest('hex'),
      checksum_type: 'sha512',
    });
    const res = await sb.run([
      'box',
      'add',
      '--name',
      'checked',
      '--checksum-type',
      'sha512',
      '--checksum',
      '0'.repeat(128),
      `${t.url}${base('alice')}/checked/2.0.0/virtualbox.box`,
    ]);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/checksum/i);
    expect(existsSync(path.join(sb.vagrantHome, 'boxes', 'checked'))).toBe(false);
  });

  it('adds a box of a private owner with VAGRANT_SERVER_URL and VAGRANT_CLOUD_TOKEN, and fails without the token', async () => {
    const box = buildBox({
      info: { description: 'Secret box' },
      files: { 'marker.txt': 'secret' },
    });
    await put('carol', carolToken, 'secret', '0.1.0', box);
    const url = `${t.url}${base('carol')}/secret`;
    const server = { VAGRANT_SERVER_URL: `${t.url}${base('carol')}` };

    const anonymous = await sb.run(['box', 'add', '--box-version', '0.1.0', url], server);
    expect(anonymous.code).not.toBe(0);
    expect(existsSync(unpacked('secret', '0.1.0', 'marker.txt'))).toBe(false);

    // `vagrant cloud auth login --check` asks {VAGRANT_SERVER_URL}/authenticate.
    const check = await sb.run(['cloud', 'auth', 'login', '--check'], {
      ...server,
      VAGRANT_CLOUD_TOKEN: carolToken,
    });
    expect(check.code === 0 ? '' : check.out).toBe('');
    const badCheck = await sb.run(['cloud', 'auth', 'login', '--check'], {
      ...server,
      VAGRANT_CLOUD_TOKEN: 'not-a-token',
    });
    expect(badCheck.code).not.toBe(0);

    const res = await sb.run(['box', 'add', '--box-version', '0.1.0', url], {
      ...server,
      VAGRANT_CLOUD_TOKEN: carolToken,
    });
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(res.out).toMatch(/Successfully added box 'secret' \(v0\.1\.0\) for 'virtualbox'/);
    expect(readFileSync(unpacked('secret', '0.1.0', 'marker.txt'), 'utf8')).toBe('secret');
  });

  it('sends credentials written in the URL with the catalog request only, so the box download is refused', async () => {
    const box = buildBox({ files: { 'marker.txt': 'url' } });
    await put('carol', carolToken, 'inurl', '0.2.0', box);
    const url = new URL(`${t.url}${base('carol')}/inurl`);
    url.username = 'carol';
    url.password = carolToken;
    const res = await sb.run(['box', 'add', '--box-version', '0.2.0', url.toString()]);
    expect(res.code).not.toBe(0);
    // The catalog was read (Vagrant knows the provider) and then the box URL got a 401.
    expect(res.out).toMatch(/Adding box 'inurl' \(v0\.2\.0\) for provider: virtualbox/);
    expect(res.out).toMatch(/returned error: 401/);
    expect(res.out).not.toContain(carolToken);
  });

  it('adds a private box with the token as ?access_token= (VAGRANT_SERVER_ACCESS_TOKEN_BY_URL)', async () => {
    const box = buildBox({ files: { 'marker.txt': 'query' } });
    await put('carol', carolToken, 'byquery', '0.3.0', box);
    const res = await sb.run(
      ['box', 'add', '--box-version', '0.3.0', `${t.url}${base('carol')}/byquery`],
      {
        VAGRANT_SERVER_URL: `${t.url}${base('carol')}`,
        VAGRANT_CLOUD_TOKEN: carolToken,
        VAGRANT_SERVER_ACCESS_TOKEN_BY_URL: '1',
      },
    );
    expect(res.code === 0 ? '' : res.out).toBe('');
    expect(readFileSync(unpacked('byquery', '0.3.0', 'marker.txt'), 'utf8')).toBe('query');
  });
});
