import { Readable } from 'node:stream';
import { ArchiveBudgetError, InvalidArtifactError } from '@wharf/packages-core';
import {
  ArchiveFormat,
  composerArchive,
  libraryEntries,
} from '../../../../test/support/clients/composer';
import {
  ArchiveLimits,
  detectArchiveKind,
  readTarComposerJson,
  readZipComposerJson,
} from './composer-archive';

const NAME = 'acme/greeter';

/** composer.json of an archive as the service reads it: zip by ranges, tar as a stream. */
async function composerJsonOf(bytes: Buffer, limits?: ArchiveLimits): Promise<string> {
  const kind = detectArchiveKind(bytes.subarray(0, 512));
  const json =
    kind === 'zip'
      ? await readZipComposerJson(
          async (start, end) => Readable.from([bytes.subarray(start, end + 1)]),
          bytes.length,
          limits,
        )
      : await readTarComposerJson(Readable.from([bytes]), limits);
  return json.toString('utf8');
}

const nameOf = async (bytes: Buffer) =>
  (JSON.parse(await composerJsonOf(bytes)) as { name: string }).name;

describe.each<ArchiveFormat>(['zip', 'tar', 'tar.gz', 'tar.bz2'])('a %s archive', (format) => {
  it('has composer.json at its root', async () => {
    expect(await nameOf(composerArchive(libraryEntries(NAME, 'Hi'), format))).toBe(NAME);
  });

  it('has composer.json in its only top-level directory (GitHub archives)', async () => {
    const entries = libraryEntries(NAME, 'Hi', {}, 'greeter-1.0.0/');
    expect(await nameOf(composerArchive(entries, format))).toBe(NAME);
  });

  it('prefers the root composer.json to a nested package', async () => {
    const entries = [
      ...libraryEntries(NAME, 'Hi'),
      { name: 'tests/fixture/composer.json', text: '{"name":"other/fixture"}' },
    ];
    expect(await nameOf(composerArchive(entries, format))).toBe(NAME);
  });

  it.each([
    ['no composer.json', [{ name: 'src/Greeter.php', text: '<?php' }]],
    ['composer.json two levels down', [{ name: 'a/b/composer.json', text: '{}' }]],
    [
      'composer.json in one of two top-level entries',
      [
        { name: 'pkg/composer.json', text: '{}' },
        { name: 'README.md', text: '#' },
      ],
    ],
  ])('is refused with %s', async (_what, entries) => {
    await expect(composerJsonOf(composerArchive(entries, format))).rejects.toThrow(
      /composer.json file is missing/,
    );
  });

  it('is refused with a ../ entry (zip slip)', async () => {
    const entries = [...libraryEntries(NAME, 'Hi'), { name: '../evil.php', text: '<?php' }];
    await expect(composerJsonOf(composerArchive(entries, format))).rejects.toThrow(
      format === 'zip' ? /unsafe entry name/ : /"..\/evil.php" that is refused/,
    );
  });

  it('is refused as a bomb past its unpacked budget (413), with composer.json intact', async () => {
    const bomb = composerArchive(
      [...libraryEntries(NAME, 'Hi'), { name: 'zeros.bin', zeros: 64 * 1024 * 1024 }],
      format,
    );
    expect(bomb.length).toBeLessThan(format === 'tar' ? 80 * 1024 * 1024 : 1024 * 1024);
    const err = await composerJsonOf(bomb, {
      maxComposerJson: 1024 * 1024,
      maxUnpacked: 8 * 1024 * 1024,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveBudgetError);
    expect(await nameOf(bomb)).toBe(NAME); // within the default budget it is a package
  });

  it('is refused with a composer.json over its budget', async () => {
    const entries = [{ name: 'composer.json', text: `{"name":"a/b","x":"${'x'.repeat(5000)}"}` }];
    await expect(
      composerJsonOf(composerArchive(entries, format), {
        maxComposerJson: 1000,
        maxUnpacked: 1e6,
      }),
    ).rejects.toThrow(/composer.json|1000/);
  });
});

describe('a tar archive', () => {
  it('is refused with a symbolic link', async () => {
    const entries = [...libraryEntries(NAME, 'Hi'), { name: 'src/link', linkname: '/etc/passwd' }];
    await expect(composerJsonOf(composerArchive(entries, 'tar.gz'))).rejects.toThrow(
      /symbolic link/,
    );
  });
});

describe('detectArchiveKind', () => {
  it.each([
    ['not an archive', Buffer.from('<?php echo 1;'), /not a valid package file/],
    ['an empty zip', Buffer.from('PK\x05\x06' + '\0'.repeat(18), 'latin1'), /zip archive is empty/],
    ['an xz tar', composerArchive(libraryEntries(NAME, 'Hi'), 'tar.xz'), /xz-compressed/],
  ])('refuses %s with a 400', (_what, bytes, reason) => {
    expect(() => detectArchiveKind(bytes.subarray(0, 512))).toThrow(InvalidArtifactError);
    expect(() => detectArchiveKind(bytes.subarray(0, 512))).toThrow(reason);
  });
});
