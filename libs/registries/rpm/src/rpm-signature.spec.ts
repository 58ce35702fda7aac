import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { readRpm, RpmSigTag, walkRpmPayload } from '@wharf/packages-core';
import { buildRpm, hasRpmbuild } from '../../../packages-core/src/testing/rpmbuild';
import { describeIf } from '../../../packages-core/src/testing/test-env';
import { signedSignatureHeader } from './rpm-signature';

// rpmbuild makes the package, openpgp.js (as the signing service) the key, rpmkeys judges.
describeIf(hasRpmbuild(), 'rpmbuild (apt-get install rpm)', 'rpm package signing', () => {
  let dir: string;
  let privateKey: openpgp.PrivateKey;
  let publicKey: string;
  const rpmkeys = (...args: string[]) =>
    execFileSync('rpmkeys', ['--dbpath', path.join(dir, 'db'), ...args], {
      env: { ...process.env, HOME: dir, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
  const detached = async (data: Uint8Array | ReadableStream<Uint8Array>) => {
    const signature = await openpgp.sign({
      message: await openpgp.createMessage({ binary: data }),
      signingKeys: privateKey,
      detached: true,
      format: 'binary',
      config: { preferredHashAlgorithm: openpgp.enums.hash.sha256 },
    });
    const chunks: Uint8Array[] = [];
    if (signature instanceof Uint8Array) return signature;
    for await (const c of signature as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    return Buffer.concat(chunks);
  };

  /** Signs the file as the registry does: header from memory, header+payload streamed. */
  async function sign(file: string): Promise<Buffer> {
    const bytes = readFileSync(file);
    const rpm = await readRpm(createReadStream(file));
    rpm.payload.destroy();
    const tail = createReadStream(file, { start: rpm.layout.header.start });
    const sigHeader = signedSignatureHeader(
      rpm.signature,
      await detached(rpm.header.raw),
      await detached(Readable.toWeb(tail) as unknown as ReadableStream<Uint8Array>),
    );
    return Buffer.concat([
      bytes.subarray(0, 96),
      sigHeader,
      bytes.subarray(rpm.layout.header.start),
    ]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-rpmsign-'));
    const key = await openpgp.generateKey({
      type: 'rsa',
      rsaBits: 3072,
      userIDs: [{ name: 'Wharf rpm test key' }],
      format: 'object',
    });
    privateKey = key.privateKey;
    publicKey = key.publicKey.armor();
    writeFileSync(path.join(dir, 'repository.key'), publicKey);
    rpmkeys('--import', path.join(dir, 'repository.key'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['gzip', 'w9.gzdio'],
    ['xz', 'w2.xzdio'],
    ['zstd', 'w19.zstdio'],
  ])('a signed %s package passes rpmkeys --checksig with both signatures', async (_c, payload) => {
    const file = buildRpm(dir, { name: `signed-${_c}`, version: '1.0', payload });
    expect(rpmkeys('--checksig', file)).toMatch(/: digests OK/); // unsigned: digests only
    const signed = await sign(file);
    const out = path.join(dir, `signed-${_c}.rpm`);
    writeFileSync(out, signed);
    const report = rpmkeys('--checksig', '-v', out);
    expect(report).toMatch(/Header V4 RSA\/SHA256 Signature, key ID [0-9a-f]+: OK/);
    expect(report).toMatch(/V4 RSA\/SHA256 Signature, key ID [0-9a-f]+: OK/);
    expect(report).toMatch(/Header SHA256 digest: OK/);
    expect(report).toMatch(/Payload SHA256 digest: OK/);
    expect(report).not.toMatch(/NOKEY|BAD|NOTFOUND/);
    // The registry's own reader reads it back whole, digests included.
    const again = await readRpm(Readable.from(signed));
    expect(again.signature.bin(RpmSigTag.Rsa)?.length).toBeGreaterThan(300);
    expect(again.signature.has(RpmSigTag.ReservedSpace)).toBe(false);
    let files = 0;
    for await (const e of walkRpmPayload(again.header, again.payload, {
      maxEntrySize: 1 << 20,
      maxUnpacked: 1 << 26,
    }))
      files += e.type === 'file' ? 1 : 0;
    expect(files).toBe(1);
  });

  it('signing twice replaces the first signature', async () => {
    const file = buildRpm(dir, { name: 'resigned', version: '1.0' });
    const once = path.join(dir, 'once.rpm');
    writeFileSync(once, await sign(file));
    const twice = await sign(once);
    const rpm = await readRpm(Readable.from(twice));
    rpm.payload.destroy();
    expect(rpm.signature.entries.filter((e) => e.tag === RpmSigTag.Rsa)).toHaveLength(1);
    writeFileSync(path.join(dir, 'twice.rpm'), twice);
    expect(rpmkeys('--checksig', path.join(dir, 'twice.rpm'))).toMatch(/digests signatures OK/);
  });
});
