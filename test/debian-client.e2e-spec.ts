import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { AptSandbox, controlText, dpkgDeb, findAptTools } from './support/clients/debian';
import { startTestApp, TestApp } from './support/test-app';

const tools = findAptTools();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * apt 2.6 against Wharf (docs/protocols/debian.md §6): packages built by dpkg-deb and PUT
 * to the pool, then `apt-get update` in a sandboxed apt configuration that trusts only the
 * key Wharf serves (signed-by=, so InRelease's signature is checked by gpgv), and
 * `apt-get download` of the uploaded .deb — from a public owner anonymously, and from a
 * private owner with the credentials in auth.conf.
 */
describeIf(tools.available, tools.missing, 'apt-get client', () => {
  let t: TestApp;
  let token: string;
  const work = () => path.join(t.config.dataDir, '..');
  const base = (owner: string) => `${t.url}/api/packages/${owner}/debian`;

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'pub');
    await createUser(t.url, 'priv', 'private');
    token = await createToken(t.url, 'priv');
  });
  afterAll(() => t?.close());

  const upload = async (owner: string, auth: [string, string], dist: string, deb: Buffer) =>
    request(t.url)
      .put(`/api/packages/${owner}/debian/pool/${dist}/main/upload`)
      .auth(...auth)
      .send(deb)
      .expect(201);

  async function sandboxFor(owner: string, credentials?: [string, string]): Promise<AptSandbox> {
    const sb = new AptSandbox();
    const get = request(t.url).get(`/api/packages/${owner}/debian/repository.key`);
    const key = await (credentials ? get.auth(...credentials) : get).expect(200);
    sb.addSource(owner, base(owner), 'bookworm', ['main'], key.text);
    if (credentials) sb.addCredentials(`${base(owner)}/`, ...credentials);
    return sb;
  }

  it('public owner: apt-get update verifies InRelease with the served key; apt-get download fetches the .deb', async () => {
    const pubToken = await createToken(t.url, 'pub');
    const hello = dpkgDeb(work(), controlText('wharf-hello', '1.0-1', 'amd64'));
    const newer = dpkgDeb(work(), controlText('wharf-hello', '1:1.1-1', 'amd64'), {
      compression: 'gzip',
      file: 'newer\n',
    });
    const docs = dpkgDeb(work(), controlText('wharf-docs', '0.1', 'all'), { compression: 'zstd' });
    for (const deb of [hello, newer, docs]) await upload('pub', ['pub', pubToken], 'bookworm', deb);
    const sb = await sandboxFor('pub');
    try {
      const update = await sb.run(['update', '-o', 'Debug::Acquire::http=true']);
      expect(update).toMatchObject({ code: 0 });
      expect(update.out).not.toMatch(/^(W|E):/m);
      // Acquire-By-Hash: apt fetched the indexes at the digests InRelease gave.
      expect(update.out).toMatch(/GET \/api\/packages\/pub\/debian\/dists\/bookworm\/InRelease /);
      expect(update.out).toMatch(
        /GET \/api\/packages\/pub\/debian\/dists\/bookworm\/main\/binary-amd64\/by-hash\/SHA512\/[0-9a-f]{128} /,
      );
      // Release lists `all` among the architectures: apt reads binary-all too.
      expect(update.out).toMatch(/\/main\/binary-all\/by-hash\/SHA512\//);
      const lists = readdirSync(path.join(sb.root, 'state', 'lists'));
      expect(lists.some((f) => f.endsWith('_InRelease'))).toBe(true);
      expect(lists.some((f) => /binary-amd64_Packages/.test(f))).toBe(true);

      const got = await sb.run(['download', 'wharf-hello', 'wharf-docs']);
      expect(got).toMatchObject({ code: 0 });
      const files = readdirSync(sb.downloads).sort();
      // The epoch is in the name apt saves the file under (URL-encoded ':' as %3a).
      expect(files).toEqual(['wharf-docs_0.1_all.deb', 'wharf-hello_1%3a1.1-1_amd64.deb']);
      expect(sha256(readFileSync(path.join(sb.downloads, files[1])))).toBe(sha256(newer));

      const older = await sb.run(['download', 'wharf-hello=1.0-1']);
      expect(older).toMatchObject({ code: 0 });
      expect(sha256(readFileSync(path.join(sb.downloads, 'wharf-hello_1.0-1_amd64.deb')))).toBe(
        sha256(hello),
      );
    } finally {
      sb.dispose();
    }
  });

  it('refuses an InRelease signed by another key than the pinned one', async () => {
    const sb = await sandboxFor('pub');
    try {
      // Pin the private owner's key instead: the signature no longer verifies.
      const other = await request(t.url)
        .get('/api/packages/priv/debian/repository.key')
        .auth('priv', token)
        .expect(200);
      sb.addSource('pub', base('pub'), 'bookworm', ['main'], other.text);
      const update = await sb.run(['update']);
      expect(update.out).toMatch(
        /NO_PUBKEY|not signed|signatures couldn't be verified|is not signed/,
      );
      rmSync(path.join(sb.root, 'state', 'lists'), { recursive: true, force: true });
    } finally {
      sb.dispose();
    }
  });

  it('private owner: apt sends the auth.conf credentials; without them update fails with 401', async () => {
    await upload(
      'priv',
      ['priv', token],
      'bookworm',
      dpkgDeb(work(), controlText('secret-tool', '2.0', 'amd64')),
    );
    const sb = await sandboxFor('priv', ['priv', token]);
    try {
      const update = await sb.run(['update']);
      expect(update).toMatchObject({ code: 0 });
      expect(update.out).not.toMatch(/^(W|E):/m);
      const got = await sb.run(['download', 'secret-tool']);
      expect(got).toMatchObject({ code: 0 });
      expect(readdirSync(sb.downloads)).toEqual(['secret-tool_2.0_amd64.deb']);
    } finally {
      sb.dispose();
    }
    const anonymous = await sandboxFor('priv', ['priv', token]);
    try {
      rmSync(path.join(anonymous.root, 'etc', 'auth.conf.d', 'priv.conf'));
      const update = await anonymous.run(['update']);
      expect(update.out).toMatch(/401/);
    } finally {
      anonymous.dispose();
    }
  });
});
