import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { checkName, RegistryError } from '@wharf/packages-core';
import { buildRpm, hasRpmbuild } from '../../../packages-core/src/testing/rpmbuild';
import { describeIf } from '../../../packages-core/src/testing/test-env';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  ALT_ARCH,
  ALT_FILE_NAME,
  ALT_GROUP,
  normalizeGroup,
  readAltPackage,
  RPM_NAME,
  RPM_VERSION,
} from './alt.metadata';

describe('alt names', () => {
  it.each(HOSTILE_NAMES.map((h) => [h.label, h]))(
    'refuses the hostile name %s in every position',
    (_label, { value, fileNameOnly }) => {
      for (const grammar of [ALT_ARCH, ALT_FILE_NAME, RPM_NAME])
        expect(() => checkName(value, grammar)).toThrow(RegistryError);
      if (!fileNameOnly) {
        expect(() => checkName(value, ALT_GROUP)).toThrow(RegistryError);
        expect(() => checkName(value, RPM_VERSION)).toThrow(RegistryError);
      }
    },
  );

  it('reads groups as Forgejo does: none or `alt` is the default, segments kept', () => {
    expect(normalizeGroup([])).toBe('');
    expect(normalizeGroup(['alt'])).toBe('');
    expect(normalizeGroup(['el9', 'stable'])).toBe('el9/stable');
    expect(normalizeGroup(['alt', 'p10'])).toBe('alt/p10');
    expect(() => normalizeGroup([''])).toThrow(/segment is empty/);
    expect(() => normalizeGroup(['el9', ''])).toThrow(/segment is empty/);
    expect(() => normalizeGroup(['..'])).toThrow(/invalid group/);
  });

  it.each(['x86_64', 'noarch', 'i586', 'aarch64', 'armh'])('takes the architecture %s', (a) => {
    expect(checkName(a, ALT_ARCH)).toBe(a);
  });
  it.each([
    'hello-1.0-alt1.x86_64.rpm',
    'libstdc++6-2-13.2.1-alt3.x86_64.rpm',
    'a_b-1~rc1-1.noarch.rpm',
  ])('takes the file name %s', (f) => expect(checkName(f, ALT_FILE_NAME)).toBe(f));
});

describeIf(hasRpmbuild(), 'rpmbuild (apt-get install rpm)', 'reading an rpm for a pkglist', () => {
  let work: string;
  beforeAll(() => (work = mkdtempSync(path.join(os.tmpdir(), 'wharf-alt-meta-'))));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reads names, dependencies, files and changelog, and hashes every byte with BLAKE2b-512', async () => {
    const file = buildRpm(work, {
      name: 'hello',
      version: '2.10',
      release: 'alt2',
      epoch: 1,
      arch: 'noarch',
      summary: 'Says hello',
      url: 'https://example.org/hello',
      requires: ['coreutils >= 8.0'],
      provides: ['greeter = 2'],
      files: [
        { path: '/usr/share/hello/a.txt', content: 'a' },
        { path: '/usr/share/hello/b.txt', content: 'b' },
        { path: '/etc/hello.conf', content: 'c', directive: '%config' },
      ],
      changelog: '* Mon Jan 01 2024 Jane <jane@example.org> - 1:2.10-alt2\n- first',
    });
    const bytes = readFileSync(file);
    const pkg = await readAltPackage(Readable.from([bytes]));
    expect(pkg.version).toBe('1-2.10-alt2');
    expect(pkg.fileName).toBe('hello-1-2.10-alt2.noarch.rpm');
    expect(pkg.blake2b).toBe(createHash('blake2b512').update(bytes).digest('hex'));
    expect(pkg.url).toBe('https://example.org/hello');
    const h = pkg.header;
    expect(h).toMatchObject({
      name: 'hello',
      version: '2.10',
      release: 'alt2',
      epoch: 1,
      arch: 'noarch',
    });
    expect(h.requires).toEqual(
      expect.arrayContaining([{ name: 'coreutils', flags: 12, version: '8.0' }]),
    );
    expect(h.provides).toEqual(
      expect.arrayContaining([{ name: 'greeter', flags: 8, version: '2' }]),
    );
    const paths = h.baseNames.map((b, i) => h.dirNames[h.dirIndexes[i]] + b).sort();
    expect(paths).toEqual(['/etc/hello.conf', '/usr/share/hello/a.txt', '/usr/share/hello/b.txt']);
    expect(h.changelog).toEqual([
      { time: 1704110400, name: 'Jane <jane@example.org> - 1:2.10-alt2', text: '- first' },
    ]);
  });
});
