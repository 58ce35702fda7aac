import { Readable } from 'node:stream';
import { buildBox, gzipTarBomb } from '../../../../test/support/clients/vagrant';
import { BoxLimits, detectBoxKind, readTarBox, readZipBox } from './vagrant-box';

// Boxes packed by bsdtar, as `vagrant package` packs them.
const SMALL: BoxLimits = { maxJson: 64 * 1024, maxRatio: 20, minUnpacked: 4 * 1024 * 1024 };

async function read(box: Buffer, provider = 'virtualbox', limits = SMALL) {
  return detectBoxKind(box.subarray(0, 512)) === 'zip'
    ? readZipBox(
        async (start, end) => Readable.from([box.subarray(start, end + 1)]),
        box.length,
        provider,
        limits,
      )
    : readTarBox(Readable.from([box]), box.length, provider, limits);
}

describe('reading boxes', () => {
  it.each(['tar.gz', 'tar', 'tar.bz2', 'tar.xz', 'zip'] as const)(
    'reads info.json of a %s box',
    async (format) => {
      const box = buildBox({ format, info: { description: 'Hi', author: 'Ann' } });
      expect(await read(box)).toEqual({ metadata: { description: 'Hi', author: 'Ann' } });
    },
  );

  it('takes a box without info.json or metadata.json', async () => {
    const box = buildBox({ files: { 'metadata.json': '{"format":"qcow2"}' } });
    expect(await read(box, 'libvirt')).toEqual({ metadata: {} });
  });

  it('reads ./info.json as written by `tar -C dir .`', async () => {
    const box = buildBox({ info: { description: 'dot' }, rename: ',^,./,' });
    expect(await read(box)).toEqual({ metadata: { description: 'dot' } });
  });

  it('refuses what is no archive, naming the kinds Vagrant takes', () => {
    expect(() => detectBoxKind(Buffer.from('just text'.repeat(100)))).toThrow(
      /not a box: a box is a tar archive .* or a zip archive/,
    );
  });

  it.each([
    ['a "../" entry', { rename: ',^box-disk,../box-disk,' }, /"\.\." segment/],
    ['a "../" entry in a zip', { rename: ',^box-disk,../box-disk,', format: 'zip' }, /\.\./],
    ['a symbolic link', { symlinks: { l: '/etc/passwd' } }, /symbolic link/],
    ['metadata.json for another provider', { provider: 'libvirt' }, /provider "libvirt"/],
  ] as const)('refuses %s', async (_what, options, message) => {
    await expect(read(buildBox(options))).rejects.toThrow(message);
  });

  it('refuses a gzip bomb with a 413 once the budget is passed', async () => {
    await expect(read(gzipTarBomb(16 * 1024 * 1024))).rejects.toMatchObject({
      status: 413,
      message: expect.stringMatching(/unpacks to more than 4194304 bytes/),
    });
  });
});
