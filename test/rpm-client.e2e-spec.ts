import { rmSync } from 'node:fs';
import request from 'supertest';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { SQLITE_FS } from './support/backends';
import { ADMIN_ENV, createToken, createUser } from './support/clients/accounts';
import { dnfSandbox, DnfSandbox, hasDnf, rpmBytes, scratch } from './support/clients/rpm';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Debian's dnf 4 and rpm 4.18 against a private owner (docs/protocols/rpm.md §6–7):
 * packages built with rpmbuild and PUT as Forgejo documents, signed by Wharf on upload;
 * dnf configured only by the `.repo` file Wharf serves (plus username=/password=), with
 * gpgcheck and repo_gpgcheck on and the key imported from its gpgkey= URL, installs into
 * an empty root, resolving a dependency through primary.xml; an unsigned upload is
 * refused by dnf, and an upgrade is seen after the next upload.
 */
describeIf(hasDnf(), 'dnf and rpmbuild (apt-get install dnf rpm)', 'dnf client', () => {
  let t: TestApp;
  let token: string;
  let dir: string;
  let dnf: DnfSandbox;
  const base = '/api/packages/alice/rpm';
  const upload = (group: string, body: Buffer, query = '') =>
    request(t.url)
      .put(`${base}/${group}/upload${query}`)
      .auth('alice', token)
      .set('Content-Type', 'application/octet-stream')
      .send(body)
      .expect(201);

  beforeAll(async () => {
    t = await startTestApp(SQLITE_FS, ADMIN_ENV);
    await createUser(t.url, 'alice', 'private');
    token = await createToken(t.url, 'alice');
    dir = scratch('rpm-client');
    const lib = rpmBytes(dir, {
      name: 'wharf-lib',
      version: '1.0',
      noAutoDeps: true,
      files: [{ path: '/usr/share/wharf-lib/lib.txt', content: 'lib\n' }],
    });
    const app = rpmBytes(dir, {
      name: 'wharf-app',
      version: '2.0',
      release: '1.el9',
      arch: 'x86_64',
      noAutoDeps: true,
      requires: ['wharf-lib >= 1.0'],
      files: [{ path: '/usr/bin/wharf-app', content: 'app binary\n', mode: '755' }],
    });
    await upload('el9/stable', lib);
    await upload('el9/stable', app);
    // The .repo as a private owner's user fetches it, credentials added as CLIENTS.md says.
    const repo = await request(t.url)
      .get(`${base}/el9/stable.repo`)
      .auth('alice', token)
      .expect(200);
    dnf = dnfSandbox(repo.text, { username: 'alice', password: token });
  });
  afterAll(async () => {
    await t?.close();
    if (dnf) rmSync(dnf.dir, { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dnf install with gpgcheck and repo_gpgcheck: the key is imported from gpgkey=, the dependency resolved', async () => {
    const out = await dnf.run('install', 'wharf-app');
    expect(out).toMatch(/Importing GPG key/);
    expect(out).toMatch(/Complete!/);
    const installed = await dnf.rpm(
      '-qa',
      '--qf',
      '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH} %{SIGPGP:pgpsig}\\n',
    );
    expect(installed).toMatch(/wharf-app-2\.0-1\.el9\.x86_64 RSA\/SHA256/);
    expect(installed).toMatch(/wharf-lib-1\.0-1\.noarch RSA\/SHA256/);
    expect(await dnf.rpm('-ql', 'wharf-app')).toMatch(/\/usr\/bin\/wharf-app/);
  });

  it('sees an upgrade after the next upload (the repodata changed), and refuses an unsigned package', async () => {
    const next = rpmBytes(dir, {
      name: 'wharf-lib',
      version: '1.1',
      noAutoDeps: true,
      files: [{ path: '/usr/share/wharf-lib/lib.txt', content: 'lib 1.1\n' }],
    });
    await upload('el9/stable', next);
    // --refresh: metadata_expire=0 still counts metadata fetched this very second as
    // fresh (dnf compares whole seconds), and this test uploads faster than that.
    const out = await dnf.run('--refresh', 'upgrade', 'wharf-lib');
    expect(out).toMatch(/Upgraded:\s+wharf-lib-1\.1-1\.noarch/);
    expect(out).toMatch(/Complete!/);
    expect(await dnf.rpm('-q', 'wharf-lib')).toMatch(/wharf-lib-1\.1-1\.noarch/);

    const unsigned = rpmBytes(dir, { name: 'wharf-unsigned', version: '1.0', noAutoDeps: true });
    await upload('el9/stable', unsigned, '?sign=false');
    const refused = await dnf.run('--refresh', 'install', 'wharf-unsigned').then(
      () => '',
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/Package wharf-unsigned-1\.0-1\.noarch\.rpm is not signed/);
    await expect(dnf.rpm('-q', 'wharf-unsigned')).rejects.toThrow(/not installed/);
  });
});
