import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readTarDescription } from './cran-archive';
import { buildPackagesIndex, buildPackagesRds } from './cran.documents';
import { CranMetadata, parseDescription } from './cran.metadata';

const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name));

const meta = (pkg: string, version: string, extra: Partial<CranMetadata> = {}): CranMetadata => ({
  package: pkg,
  version,
  needsCompilation: false,
  ...extra,
});

describe("R's own index of the fixture package (fixtures/build-fixtures.sh)", () => {
  const indexed = async () => {
    const tarball = fixture('wharf.hello_1.0-2.tar.gz');
    const { bytes } = await readTarDescription(Readable.from([tarball]));
    const md5 = createHash('md5').update(tarball).digest('hex');
    return [{ metadata: parseDescription(bytes), md5 }];
  };
  it('PACKAGES is what tools::write_PACKAGES writes', async () => {
    expect(buildPackagesIndex(await indexed())).toBe(fixture('PACKAGES').toString());
  });
  it('PACKAGES.rds is what saveRDS(read.dcf(PACKAGES), version = 2) writes, byte for byte', async () => {
    expect(buildPackagesRds(await indexed()).equals(fixture('PACKAGES.rds'))).toBe(true);
  });
});

describe('PACKAGES', () => {
  it("writes write_PACKAGES's fields in its order, one record per package, sorted by name", () => {
    const index = buildPackagesIndex([
      {
        metadata: meta('zeta', '1.0', { needsCompilation: true, license: 'GPL-3' }),
        md5: 'b'.repeat(32),
      },
      {
        metadata: meta('Alpha', '0.1-2', {
          imports: 'abc, 123',
          depends: 'R (>= 4.0)',
          suggests: 'testthat',
          linkingTo: 'Rcpp',
          title: 'not in the index',
          priority: 'optional',
        }),
        md5: 'a'.repeat(32),
      },
    ]);
    expect(index).toBe(
      'Package: Alpha\nVersion: 0.1-2\nPriority: optional\nDepends: R (>= 4.0)\nImports: abc, 123\n' +
        `LinkingTo: Rcpp\nSuggests: testthat\nMD5sum: ${'a'.repeat(32)}\nNeedsCompilation: no\n` +
        '\n' +
        `Package: zeta\nVersion: 1.0\nLicense: GPL-3\nMD5sum: ${'b'.repeat(32)}\nNeedsCompilation: yes\n`,
    );
  });

  it("lists each package's highest version in R's order, whatever the upload order", () => {
    const index = buildPackagesIndex(
      ['1.9', '1.10', '1.0-2'].map((v) => ({ metadata: meta('pkg', v), md5: v })),
    );
    expect(index).toBe('Package: pkg\nVersion: 1.10\nMD5sum: 1.10\nNeedsCompilation: no\n');
  });

  it('is empty for no files', () => {
    expect(buildPackagesIndex([])).toBe('');
  });
});
