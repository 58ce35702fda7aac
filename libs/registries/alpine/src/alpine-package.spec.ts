import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { ArchiveBudgetError, InvalidArtifactError } from '@wharf/packages-core';
import { buildApk, pkgInfoOf, tarBytes } from '../../../../test/support/clients/alpine';
import { ApkLimits, readApkControl } from './alpine-package';

const open = (bytes: Buffer) => async (end: number) => Readable.from([bytes.subarray(0, end + 1)]);
const read = (bytes: Buffer, limits?: ApkLimits) =>
  readApkControl(open(bytes), bytes.length, limits);

// docs/protocols/alpine.md §3: the control segment and apk's checksum of it.
describe('readApkControl', () => {
  const spec = { name: 'hello', version: '2.12-r1', arch: 'x86_64', depends: ['musl'] };

  it('reads .PKGINFO and the Q1 checksum of the control member, unsigned and signed', async () => {
    for (const signed of [false, true]) {
      const apk = await buildApk({ ...spec, signed });
      const control = await read(apk.bytes);
      expect(control.pkginfo).toBe(pkgInfoOf(spec));
      expect(control.checksum).toBe(apk.checksum);
      expect(control.checksum).toMatch(/^Q1[A-Za-z0-9+/]{27}=$/);
      expect(control.signed).toBe(signed);
    }
  });

  it('reads members with a file name in their gzip header (as `gzip -c` writes them)', async () => {
    const apk = await buildApk(spec);
    // FNAME: flag 0x08 and a NUL-terminated name after the 10-byte header.
    const named = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3]),
      Buffer.from('control.tar\0'),
      apk.bytes.subarray(10),
    ]);
    expect((await read(named)).pkginfo).toBe(pkgInfoOf(spec));
  });

  it('refuses a member whose CRC does not match', async () => {
    const apk = await buildApk(spec);
    const control = gzipSync(
      await tarBytes([{ name: '.PKGINFO', body: Buffer.from(pkgInfoOf(spec)) }], true),
    );
    const bad = Buffer.from(apk.bytes);
    bad[control.length - 8] ^= 0xff; // the control member's CRC32
    await expect(read(bad)).rejects.toThrow(/fails its CRC or length check/);
  });

  it('refuses a third-member .PKGINFO and a signature that is not one', async () => {
    const sig = gzipSync(
      await tarBytes([{ name: '.SIGN.RSA.k.rsa.pub', body: Buffer.alloc(8) }], true),
    );
    const apk = await buildApk(spec);
    await expect(read(Buffer.concat([sig, sig, apk.bytes]))).rejects.toThrow(InvalidArtifactError);
    const other = gzipSync(await tarBytes([{ name: 'README', body: Buffer.alloc(8) }], true));
    await expect(read(Buffer.concat([other, apk.bytes]))).rejects.toThrow(/no \.PKGINFO/);
  });

  it('stops at the window (413) and at the unpacked budget (413)', async () => {
    const apk = await buildApk({ ...spec, signed: true });
    await expect(read(apk.bytes, { maxWindow: 100, maxUnpacked: 1 << 20 })).rejects.toThrow(
      ArchiveBudgetError,
    );
    await expect(read(apk.bytes, { maxWindow: 1 << 20, maxUnpacked: 1000 })).rejects.toThrow(
      /unpacks to more than 1000 bytes/,
    );
    // The window edge right after the control member: the data segment is not read.
    const control = gzipSync(
      await tarBytes([{ name: '.PKGINFO', body: Buffer.from(pkgInfoOf(spec)) }], true),
    );
    const unsigned = await buildApk(spec);
    const atEdge = await read(unsigned.bytes, { maxWindow: control.length, maxUnpacked: 1 << 20 });
    expect(atEdge.checksum).toBe(unsigned.checksum);
  });
});
