import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidArtifactError } from '../errors/registry-error';
import { ArchiveBudgetError } from './tar-entry-reader';
import { readZipEntry } from './zip-entry-reader';

interface ZipSpec {
  name: string;
  text?: string;
  /** that many zero bytes (highly compressible) */
  zeros?: number;
  /** base64 content */
  base64?: string;
  method?: 'stored' | 'deflated' | 'bzip2';
}

// Real zips from Python's zipfile: the same writer that builds most wheels.
const BUILD = String.raw`
import base64, io, json, sys, zipfile
spec = json.load(sys.stdin)
methods = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED, "bzip2": zipfile.ZIP_BZIP2}
out = io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
  for e in spec["entries"]:
    if "zeros" in e: data = b"\0" * e["zeros"]
    elif "base64" in e: data = base64.b64decode(e["base64"])
    else: data = e.get("text", "").encode()
    z.writestr(e["name"], data, compress_type=methods[e.get("method", "deflated")])
  for i in range(spec.get("filler", 0)):
    z.writestr("filler/%d" % i, b"")
sys.stdout.buffer.write(out.getvalue())
`;

function makeZip(entries: ZipSpec[], filler = 0): Buffer {
  const res = spawnSync('python3', ['-c', BUILD], {
    input: JSON.stringify({ entries, filler }),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`python3 zipfile failed: ${res.stderr.toString()}`);
  return res.stdout;
}

/** An in-memory blob store: serves inclusive ranges in 64 KiB chunks and logs each read. */
function memoryBlob(bytes: Buffer) {
  const reads: { start: number; end: number }[] = [];
  const open = async (start: number, end: number): Promise<Readable> => {
    if (start < 0 || end >= bytes.length || end < start)
      throw new Error(`range ${start}-${end} outside the ${bytes.length}-byte blob`);
    reads.push({ start, end });
    return Readable.from(
      (function* () {
        for (let p = start; p <= end; p += 65536)
          yield bytes.subarray(p, Math.min(end + 1, p + 65536));
      })(),
    );
  };
  const bytesRead = () => reads.reduce((n, r) => n + r.end - r.start + 1, 0);
  return { open, reads, bytesRead };
}

const METADATA = 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n';
const isMetadata = (name: string) => /^[^/]+\.dist-info\/METADATA$/.test(name);
const MiB = 1024 * 1024;

async function read(
  zip: Buffer,
  select: (name: string) => boolean = isMetadata,
  options: { maxEntrySize: number; maxEntries?: number; maxUnpacked?: number } = {
    maxEntrySize: MiB,
  },
) {
  const blob = memoryBlob(zip);
  return readZipEntry(blob.open, zip.length, select, options);
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidArtifactError);
  return (err as Error).message;
}

describe('readZipEntry', () => {
  it.each(['deflated', 'stored'] as const)('reads a %s entry', async (method) => {
    const zip = makeZip([
      { name: 'demo/__init__.py', text: 'x = 1\n' },
      { name: 'demo-1.0.dist-info/METADATA', text: METADATA, method },
      { name: 'demo-1.0.dist-info/RECORD', text: '' },
    ]);
    expect((await read(zip))?.toString()).toBe(METADATA);
  });

  it('reads an empty entry and binary content exactly', async () => {
    const bin = randomBytes(5000);
    const zip = makeZip([
      { name: 'empty', text: '' },
      { name: 'bin', base64: bin.toString('base64') },
    ]);
    expect(await read(zip, (n) => n === 'empty')).toEqual(Buffer.alloc(0));
    expect(await read(zip, (n) => n === 'bin')).toEqual(bin);
  });

  it('returns undefined when no entry matches', async () => {
    const zip = makeZip([{ name: 'demo/METADATA', text: METADATA }]);
    expect(await read(zip)).toBeUndefined();
  });

  it('refuses more than one matching entry', async () => {
    const zip = makeZip([
      { name: 'a-1.0.dist-info/METADATA', text: METADATA },
      { name: 'b-1.0.dist-info/METADATA', text: METADATA },
    ]);
    expect(await reason(read(zip))).toMatch(
      /more than one matching entry \(a-1\.0\.dist-info\/METADATA, b-1\.0\.dist-info\/METADATA\)/,
    );
  });

  it('refuses an entry whose declared size is over the budget', async () => {
    const zip = makeZip([{ name: 'big', zeros: 2 * MiB }]);
    expect(await reason(read(zip, (n) => n === 'big', { maxEntrySize: MiB }))).toMatch(
      /^big is too large \(2097152 bytes; at most 1048576\)/,
    );
    // The same entry within a larger budget is read whole.
    const body = await read(zip, (n) => n === 'big', { maxEntrySize: 2 * MiB });
    expect(body?.equals(Buffer.alloc(2 * MiB))).toBe(true);
  });

  it('refuses a bomb beside the entry read when the declared sizes pass maxUnpacked (413)', async () => {
    const zip = makeZip([
      { name: 'demo-1.0.dist-info/METADATA', text: METADATA },
      { name: 'bomb', zeros: 20 * MiB },
    ]);
    const err = await read(zip, isMetadata, { maxEntrySize: MiB, maxUnpacked: 10 * MiB }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArchiveBudgetError);
    expect((err as ArchiveBudgetError).message).toBe(
      `the zip archive unpacks to more than ${10 * MiB} bytes`,
    );
    expect(
      (await read(zip, isMetadata, { maxEntrySize: MiB, maxUnpacked: 30 * MiB }))!.toString(),
    ).toBe(METADATA);
  });

  it('stops inflating a bomb whose header claims a small size', async () => {
    const zip = makeZip([{ name: 'bomb', zeros: 50 * MiB }]);
    expect(zip.length).toBeLessThan(MiB); // 50 MiB of zeros deflate to ~50 KiB
    // Claim 100 bytes in the central directory (uncompressed size at offset 24).
    const cd = zip.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
    expect(zip.readUInt32LE(cd + 24)).toBe(50 * MiB);
    zip.writeUInt32LE(100, cd + 24);
    const before = process.memoryUsage().arrayBuffers;
    expect(await reason(read(zip, (n) => n === 'bomb', { maxEntrySize: MiB }))).toMatch(
      /corrupt: too many bytes in the stream/,
    );
    // Nothing near the 50 MiB it would inflate to was held.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * MiB);
  });

  it.each([
    ['../evil', /unsafe entry name \(invalid relative path: \.\.\/evil\)/],
    ['demo/../../evil', /unsafe entry name \(invalid relative path/],
    ['/etc/passwd', /unsafe entry name \(absolute path: \/etc\/passwd\)/],
    ['C:/windows', /unsafe entry name \(absolute path/],
    ['demo\\..\\evil', /unsafe entry name \(invalid characters in fileName/],
  ])('refuses an archive with the entry name %j', async (name, expected) => {
    const zip = makeZip([
      { name: 'demo-1.0.dist-info/METADATA', text: METADATA },
      { name, text: 'x' },
    ]);
    expect(await reason(read(zip))).toMatch(expected);
  });

  it('refuses what is not a zip, and a truncated zip', async () => {
    expect(await reason(read(Buffer.from('test')))).toBe(
      'the file is not a zip archive (no end of central directory)',
    );
    expect(await reason(read(Buffer.alloc(0)))).toMatch(/not a zip archive/);
    const zip = makeZip([
      { name: 'demo-1.0.dist-info/METADATA', text: METADATA },
      { name: 'data', base64: randomBytes(4096).toString('base64'), method: 'stored' },
    ]);
    // Cut off the front: the directory now points past the data it describes.
    expect(await reason(read(zip.subarray(2048)))).toMatch(/corrupt|outside the file/);
    // Only the end: no directory at all.
    expect(await reason(read(zip.subarray(0, zip.length - 30)))).toMatch(/not a zip archive/);
  });

  it('refuses a central directory offset outside the file', async () => {
    const zip = makeZip([{ name: 'demo-1.0.dist-info/METADATA', text: METADATA }]);
    const eocd = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
    zip.writeUInt32LE(zip.length + 10, eocd + 16);
    expect(await reason(read(zip))).toMatch(/central directory offset is outside the file/);
  });

  it('refuses a flipped byte in the entry data (crc is not checked, inflate is)', async () => {
    const zip = makeZip([{ name: 'demo-1.0.dist-info/METADATA', text: METADATA.repeat(50) }]);
    const local = zip.indexOf(Buffer.from('PK\x03\x04', 'latin1'));
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    zip.fill(0xff, dataStart, dataStart + 8);
    expect(await reason(read(zip))).toMatch(/corrupt/);
  });

  it('refuses an unsupported compression method', async () => {
    const zip = makeZip([{ name: 'demo-1.0.dist-info/METADATA', text: METADATA, method: 'bzip2' }]);
    expect(await reason(read(zip))).toMatch(/corrupt: unsupported compression method: 12/);
  });

  it('reads only the end, the central directory and the entry of a large archive', async () => {
    const payload = randomBytes(8 * MiB).toString('base64');
    const zip = makeZip([
      { name: 'payload.bin', base64: payload, method: 'stored' },
      { name: 'demo-1.0.dist-info/METADATA', text: METADATA },
    ]);
    const blob = memoryBlob(zip);
    const body = await readZipEntry(blob.open, zip.length, isMetadata, { maxEntrySize: MiB });
    expect(body?.toString()).toBe(METADATA);
    expect(blob.bytesRead()).toBeLessThan(100 * 1024);
    expect(blob.reads.length).toBeLessThanOrEqual(4);
  });

  it('reads a zip64 archive with many entries in a few range reads', async () => {
    // Over 65535 entries makes Python write the zip64 end records.
    const zip = makeZip([{ name: 'demo-1.0.dist-info/METADATA', text: METADATA }], 70_000);
    expect(zip.includes(Buffer.from('PK\x06\x06', 'latin1'))).toBe(true);
    const blob = memoryBlob(zip);
    const body = await readZipEntry(blob.open, zip.length, isMetadata, { maxEntrySize: MiB });
    expect(body?.toString()).toBe(METADATA);
    // The directory is fetched once, not twice per entry.
    expect(blob.reads.length).toBeLessThanOrEqual(5);
    expect(await reason(read(zip, isMetadata, { maxEntrySize: MiB, maxEntries: 1000 }))).toBe(
      'the zip archive has 70001 entries; at most 1000 are accepted',
    );
  });

  it('passes storage errors through unchanged', async () => {
    const zip = makeZip([{ name: 'demo-1.0.dist-info/METADATA', text: METADATA.repeat(10) }]);
    const down = new Error('storage is down');
    const rejecting = async (): Promise<Readable> => {
      throw down;
    };
    await expect(
      readZipEntry(rejecting, zip.length, isMetadata, { maxEntrySize: MiB }),
    ).rejects.toBe(down);
    // A stream that fails on the entry's data, after the end record and directory were read.
    const blob = memoryBlob(zip);
    const eocd = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
    const directory = zip.readUInt32LE(eocd + 16);
    const failing = async (start: number, end: number): Promise<Readable> => {
      if (start === 0 || start >= directory) return blob.open(start, end);
      return new Readable({
        read() {
          this.destroy(down);
        },
      });
    };
    await expect(readZipEntry(failing, zip.length, isMetadata, { maxEntrySize: MiB })).rejects.toBe(
      down,
    );
  });
});
