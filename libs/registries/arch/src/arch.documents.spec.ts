import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { descText, filesText, packageEntries, TAR_END, tarEntry } from './arch.documents';
import { ArchFileMetadata } from './arch.metadata';

const META: ArchFileMetadata = {
  name: 'wharf-test',
  base: 'wharf',
  version: '1:1.0-2',
  description: 'A test',
  architecture: 'any',
  licenses: ['MIT', 'BSD'],
  depends: ['glibc', 'bash>=5'],
  build_date: 1678834800,
  installed_size: 8,
  files: ['etc/', 'etc/dummy', 'opt/file/bin'],
};
const ENTRY = {
  fileName: 'wharf-test-1:1.0-2-any.pkg.tar.zst',
  md5: 'm',
  sha256: 's',
  signature: 'c2ln',
  compressedSize: 42,
  meta: META,
};

// docs/protocols/arch.md §4.
describe('desc and files', () => {
  it('writes desc blocks in repo-add order, empty values left out', () => {
    expect(descText(ENTRY)).toBe(
      [
        '%FILENAME%\nwharf-test-1:1.0-2-any.pkg.tar.zst\n',
        '%NAME%\nwharf-test\n',
        '%BASE%\nwharf\n',
        '%VERSION%\n1:1.0-2\n',
        '%DESC%\nA test\n',
        '%CSIZE%\n42\n',
        '%ISIZE%\n8\n',
        '%MD5SUM%\nm\n',
        '%SHA256SUM%\ns\n',
        '%PGPSIG%\nc2ln\n',
        '%LICENSE%\nMIT\nBSD\n',
        '%ARCH%\nany\n',
        '%BUILDDATE%\n1678834800\n',
        '%DEPENDS%\nglibc\nbash>=5\n',
        '',
      ].join('\n'),
    );
  });

  it('writes the file list', () => {
    expect(filesText(META)).toBe('%FILES%\netc/\netc/dummy\nopt/file/bin\n\n');
  });
});

const hasBsdtar = spawnSync('sh', ['-c', 'command -v bsdtar']).status === 0;
(hasBsdtar ? describe : describe.skip)('the database as libarchive (bsdtar) reads it', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-arch-db-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bsdtar = (body: Buffer, flags: string, ...members: string[]) => {
    const file = path.join(dir, `db-${Math.random()}.tar.gz`);
    writeFileSync(file, body);
    return execFileSync('bsdtar', [flags, '-f', file, ...members], { encoding: 'utf8' });
  };

  it('reads gzip members back to back, closed by the end blocks, as one database', () => {
    const other = { ...ENTRY, meta: { ...META, name: 'other', version: '2.0-1' } };
    const db = Buffer.concat([
      gzipSync(packageEntries(ENTRY).files),
      gzipSync(packageEntries(other).files),
      gzipSync(TAR_END),
    ]);
    expect(bsdtar(db, '-tv')).toMatch(/-rw-r--r--.*wharf-test-1:1.0-2\/desc/);
    expect(bsdtar(db, '-t').split('\n')).toEqual([
      'wharf-test-1:1.0-2/desc',
      'wharf-test-1:1.0-2/files',
      'other-2.0-1/desc',
      'other-2.0-1/files',
      '',
    ]);
    expect(bsdtar(db, '-xO', 'other-2.0-1/files')).toBe(filesText(META));
    expect(bsdtar(db, '-xO', 'wharf-test-1:1.0-2/desc')).toBe(descText(ENTRY));
  });

  it('carries a name over 100 bytes in a pax record', () => {
    const name = `${'n'.repeat(120)}-1.0-1/desc`;
    const db = gzipSync(Buffer.concat([tarEntry(name, 'x'), TAR_END]));
    expect(bsdtar(db, '-t').trim()).toBe(name);
    expect(bsdtar(db, '-xO', name)).toBe('x');
  });
});
