import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ArchiveBudgetError, InvalidArtifactError } from '@wharf/packages-core';
import { ArchiveFormat, composerArchive } from '../../../../test/support/clients/composer';
import {
  ArchiveLimits,
  descriptionDirectory,
  detectArchiveKind,
  readTarDescription,
  readZipDescription,
} from './cran-archive';

const DESCRIPTION = 'Package: ab\nVersion: 1.0\n';

/** DESCRIPTION of an archive as the service reads it: zip by ranges, tar as a stream. */
function descriptionOf(bytes: Buffer, limits?: ArchiveLimits) {
  return detectArchiveKind(bytes.subarray(0, 512)) === 'zip'
    ? readZipDescription(
        async (start, end) => Readable.from([bytes.subarray(start, end + 1)]),
        bytes.length,
        limits,
      )
    : readTarDescription(Readable.from([bytes]), limits);
}

describe.each<ArchiveFormat>(['zip', 'tar', 'tar.gz', 'tar.bz2', 'tar.xz'])(
  'a %s package',
  (format) => {
    it('has its DESCRIPTION in the directory named after it', async () => {
      const archive = composerArchive(
        [
          { name: 'ab/R/hello.R', text: 'hello <- 1' },
          { name: 'ab/DESCRIPTION', text: DESCRIPTION },
          { name: 'ab/inst/DESCRIPTION', text: 'not this one' },
        ],
        format,
      );
      const found = await descriptionOf(archive);
      expect([found.directory, found.bytes.toString()]).toEqual(['ab', DESCRIPTION]);
    });

    it('without {package}/DESCRIPTION is refused', async () => {
      const archive = composerArchive([{ name: 'DESCRIPTION', text: DESCRIPTION }], format);
      await expect(descriptionOf(archive)).rejects.toThrow(/DESCRIPTION file is missing/);
    });

    it('with two is refused', async () => {
      const archive = composerArchive(
        [
          { name: 'ab/DESCRIPTION', text: DESCRIPTION },
          { name: 'cd/DESCRIPTION', text: DESCRIPTION },
        ],
        format,
      );
      await expect(descriptionOf(archive)).rejects.toThrow(InvalidArtifactError);
    });

    it('with a ../ entry is refused', async () => {
      const archive = composerArchive(
        [
          { name: 'ab/DESCRIPTION', text: DESCRIPTION },
          { name: '../evil.R', text: 'x' },
        ],
        format,
      );
      await expect(descriptionOf(archive)).rejects.toThrow(InvalidArtifactError);
    });

    it('unpacking past the budget is a 413', async () => {
      const archive = composerArchive(
        [
          { name: 'ab/DESCRIPTION', text: DESCRIPTION },
          { name: 'ab/data/zeros', zeros: 4 * 1024 * 1024 },
        ],
        format,
      );
      const limits = { maxDescription: 1024, maxUnpacked: 1024 * 1024 };
      await expect(descriptionOf(archive, limits)).rejects.toThrow(ArchiveBudgetError);
    });
  },
);

describe('archive kinds', () => {
  it('tells R packages apart by their first bytes', () => {
    const fixture = readFileSync(path.join(__dirname, 'fixtures', 'wharf.hello_1.0-2.tar.gz'));
    expect(detectArchiveKind(fixture.subarray(0, 512))).toBe('tar');
    expect(detectArchiveKind(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe('zip');
    expect(() => detectArchiveKind(Buffer.from('hello <- 1'))).toThrow(/not an R package/);
    expect(() => detectArchiveKind(Buffer.from('PK\x05\x06', 'latin1'))).toThrow(/empty/);
  });
  it('finds DESCRIPTION only one level down', () => {
    expect(descriptionDirectory('ab/DESCRIPTION')).toBe('ab');
    expect(descriptionDirectory('./ab/DESCRIPTION')).toBe('ab');
    expect(descriptionDirectory('DESCRIPTION')).toBeUndefined();
    expect(descriptionDirectory('ab/inst/DESCRIPTION')).toBeUndefined();
  });
});
