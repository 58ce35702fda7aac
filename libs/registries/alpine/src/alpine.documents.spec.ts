import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { gzipMembers, tarEntries } from '../../../../test/support/clients/alpine';
import { indexArchive, indexRecord, IndexRecord, signatureSegment } from './alpine.documents';

// docs/protocols/alpine.md §4: records, the index archive and its signature segment.
describe('alpine documents', () => {
  const record: IndexRecord = {
    name: 'hello',
    version: '2.12-r1',
    size: 1353,
    version_metadata: { description: 'Hello\nP:evil', license: 'GPL-3.0-or-later' },
    file: { checksum: 'Q1abc=', architecture: 'noarch', size: 8192, provider_priority: 0 },
  };

  it('writes a record in apk order, required lines always, control characters flattened', () => {
    expect(indexRecord(record, 'x86_64')).toBe(
      [
        'C:Q1abc=',
        'P:hello',
        'V:2.12-r1',
        'A:x86_64',
        'T:Hello P:evil',
        'L:GPL-3.0-or-later',
        'S:1353',
        'I:8192',
        'o:',
        'm:',
        't:0',
        '',
        '',
      ].join('\n'),
    );
  });

  it('signs the index member; the tars read on as one (no end blocks after the signature)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const mtime = new Date(1700000000 * 1000);
    const unsigned = await indexArchive('desc', indexRecord(record, 'noarch'), mtime);
    const signature = sign('sha1', unsigned, privateKey);
    const file = Buffer.concat([
      await signatureSegment('o@ab.rsa.pub', signature, mtime),
      unsigned,
    ]);
    const [first, second] = gzipMembers(file);
    expect(second.equals(unsigned)).toBe(true);
    expect(first.length + second.length).toBe(file.length);
    const entries = await tarEntries(gunzipSync(file));
    expect(entries.map((e) => e.name)).toEqual([
      '.SIGN.RSA.o@ab.rsa.pub',
      'DESCRIPTION',
      'APKINDEX',
    ]);
    expect(verify('sha1', second, publicKey, entries[0].body)).toBe(true);
    // Deterministic: the same records and time give the same bytes on every replica.
    expect(
      (await indexArchive('desc', indexRecord(record, 'noarch'), mtime)).equals(unsigned),
    ).toBe(true);
  });
});
