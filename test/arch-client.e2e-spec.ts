import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as openpgp from 'openpgp';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { hasPacman, makepkg, PacmanSandbox, scratch } from './support/clients/arch';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Debian's pacman 6.0 against a private owner (docs/protocols/arch.md §6–7): packages made
 * by makepkg and PUT as Forgejo documents it, signed by Wharf on upload; pacman configured
 * as the README says — `Server = …/arch/$repo/$arch` with credentials in the URL,
 * `SigLevel = Required`, the key from repository.key added to a private keyring and
 * locally signed — syncs the signed database (`pacman -Sy`) and installs into an empty
 * root (`-S`), resolving a dependency on an `any` package; a database that is not
 * Wharf's signature is refused.
 */
describeIf(
  hasPacman(),
  'pacman and makepkg (apt-get install pacman-package-manager makepkg fakeroot zstd libarchive-tools gnupg)',
  'pacman client',
  () => {
    let t: TestApp;
    let token: string;
    let dir: string;
    let pacman: PacmanSandbox;
    let fingerprint: string;
    const base = '/api/packages/alice/arch';
    const upload = (repository: string, body: Buffer) =>
      request(t.url)
        .put(`${base}/${repository}`)
        .auth('alice', token)
        .set('Content-Type', 'application/octet-stream')
        .send(body)
        .expect(201);
    // Credentials in the URL, as the README's private-owner line has them.
    const server = () => `${t.url.replace('//', `//alice:${token}@`)}${base}/$repo/$arch`;

    beforeAll(async () => {
      t = await startTestApp(SQLITE_FS, ADMIN_ENV);
      await createUser(t.url, 'alice', 'private');
      token = await createToken(t.url, 'alice');
      dir = scratch('arch-client');
      const lib = makepkg(dir, {
        name: 'wharf-lib',
        version: '1.0',
        arch: 'any',
        ext: 'xz',
        files: [{ path: 'usr/share/wharf-lib/lib.txt', content: 'lib' }],
      });
      const app = makepkg(dir, {
        name: 'wharf-app',
        version: '2.0',
        ext: 'zst',
        depends: ['wharf-lib>=1.0'],
        files: [{ path: 'usr/share/wharf-app/app.txt', content: 'app' }],
      });
      await upload('wharf', lib.bytes);
      await upload('wharf', app.bytes);
      pacman = new PacmanSandbox(path.join(dir, 'pacman'), [
        { section: 'wharf', server: server() },
      ]);
      const key = await request(t.url)
        .get(`${base}/repository.key`)
        .auth('alice', token)
        .expect(200);
      fingerprint = (await openpgp.readKey({ armoredKey: key.text }))
        .getFingerprint()
        .toUpperCase();
      await pacman.trust(key.text, fingerprint);
    }, 180_000);
    afterAll(async () => {
      await t?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('pacman -Sy then -S with SigLevel = Required: the signed database syncs, the dependency is resolved, files land in the root', async () => {
      const sync = await pacman.pacman('-Sy');
      expect(sync).toMatch(/wharf/);
      expect(existsSync(path.join(pacman.dir, 'db', 'sync', 'wharf.db'))).toBe(true);
      expect(existsSync(path.join(pacman.dir, 'db', 'sync', 'wharf.db.sig'))).toBe(true);
      const out = await pacman.pacman('-S', 'wharf-app');
      expect(out).toMatch(/wharf-lib-1\.0-1/);
      expect(out).toMatch(/wharf-app-2\.0-1/);
      expect(readFileSync(path.join(pacman.root, 'usr/share/wharf-app/app.txt'), 'utf8')).toBe(
        'app\n',
      );
      expect(readFileSync(path.join(pacman.root, 'usr/share/wharf-lib/lib.txt'), 'utf8')).toBe(
        'lib\n',
      );
      expect(await pacman.pacman('-Q')).toMatch(/wharf-app 2\.0-1\nwharf-lib 1\.0-1/);
    });

    it('sees an upgrade after the next upload (-Syu)', async () => {
      const next = makepkg(dir, {
        name: 'wharf-lib',
        version: '1.1',
        arch: 'any',
        ext: 'gz',
        files: [{ path: 'usr/share/wharf-lib/lib.txt', content: 'lib 1.1' }],
      });
      await upload('wharf', next.bytes);
      await pacman.pacman('-Syu');
      expect(await pacman.pacman('-Q', 'wharf-lib')).toMatch(/wharf-lib 1\.1-1/);
      expect(readFileSync(path.join(pacman.root, 'usr/share/wharf-lib/lib.txt'), 'utf8')).toBe(
        'lib 1.1\n',
      );
    });

    it("refuses the database when Wharf's key is not in the keyring", async () => {
      const other = new PacmanSandbox(path.join(dir, 'untrusted'), [
        { section: 'wharf', server: server() },
      ]);
      // A keyring of its own, without Wharf's key.
      await other.pacmanKey('--init');
      const refused = await other.pacman('-Sy').then(
        () => '',
        (err: Error) => err.message,
      );
      expect(refused).toContain(`key "${fingerprint}" is unknown`);
      expect(refused).toMatch(
        /failed to synchronize all databases \(invalid or corrupted database \(PGP signature\)\)/,
      );
    });
  },
);
