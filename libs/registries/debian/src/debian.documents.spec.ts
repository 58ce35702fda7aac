import { buildRelease, hashFile, packagesParagraph, releaseDate } from './debian.documents';

describe('packagesParagraph', () => {
  it('appends what apt checks the download against, and the blank line that ends it', () => {
    expect(
      packagesParagraph({
        control: 'Package: a1\nVersion: 1\nArchitecture: all',
        filename: 'pool/stable/main/a1_1_all.deb',
        size: 42,
        md5: 'm',
        sha1: 's1',
        sha256: 's256',
        sha512: 's512',
      }),
    ).toBe(
      'Package: a1\nVersion: 1\nArchitecture: all\nFilename: pool/stable/main/a1_1_all.deb\n' +
        'Size: 42\nMD5sum: m\nSHA1: s1\nSHA256: s256\nSHA512: s512\n\n',
    );
  });
});

describe('buildRelease', () => {
  it('writes the fields apt reads and one line per index file and digest, sorted', () => {
    const plain = Buffer.from('Package: a1\n\n');
    const release = buildRelease({
      origin: 'Wharf',
      distribution: 'stable',
      components: ['main', 'contrib'],
      architectures: ['amd64', 'all'],
      date: new Date(Date.UTC(2026, 11, 6, 11, 32, 57)),
      files: new Map([
        ['main/binary-amd64/Packages', hashFile(plain)],
        ['contrib/binary-all/Packages', hashFile(Buffer.alloc(0))],
      ]),
    });
    const h = hashFile(plain);
    const e = hashFile(Buffer.alloc(0));
    expect(release).toBe(
      [
        'Origin: Wharf',
        'Label: Wharf',
        'Suite: stable',
        'Codename: stable',
        'Date: Sun, 06 Dec 2026 11:32:57 UTC',
        'Architectures: all amd64',
        'Components: contrib main',
        'Acquire-By-Hash: yes',
        'MD5Sum:',
        ` ${e.md5} 0 contrib/binary-all/Packages`,
        ` ${h.md5} ${plain.length} main/binary-amd64/Packages`,
        'SHA1:',
        ` ${e.sha1} 0 contrib/binary-all/Packages`,
        ` ${h.sha1} ${plain.length} main/binary-amd64/Packages`,
        'SHA256:',
        ` ${e.sha256} 0 contrib/binary-all/Packages`,
        ` ${h.sha256} ${plain.length} main/binary-amd64/Packages`,
        'SHA512:',
        ` ${e.sha512} 0 contrib/binary-all/Packages`,
        ` ${h.sha512} ${plain.length} main/binary-amd64/Packages`,
        '',
      ].join('\n'),
    );
  });

  it('dates in RFC 1123 with the UTC zone, as the Debian archive does', () => {
    expect(releaseDate(new Date(0))).toBe('Thu, 01 Jan 1970 00:00:00 UTC');
  });

  it('hashes with the four digests a Release lists', () => {
    expect(hashFile(Buffer.from('abc'))).toEqual({
      size: 3,
      md5: '900150983cd24fb0d6963f7d28e17f72',
      sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d',
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha512:
        'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    });
  });
});
