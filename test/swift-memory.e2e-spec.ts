import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { sourceArchive } from './support/clients/swift';
import { freePortBlock } from './support/private-services';
import { serverBuilt, ServerProcess, startServerProcess } from './support/server-process';

/*
 * Memory stays flat while SwiftPM publishes a large source archive: the built server, as
 * its own process, takes a WHARF_TEST_UPLOAD_MIB (default 1024) MiB archive sent as
 * RegistryClient sends it — a part with `Content-Type: application/zip` and no file name,
 * which a form parser that goes by the HTML rule holds in memory as a field — while its
 * resident memory is sampled from /proc. The archive is made on the fly: that many filler
 * bytes, then a small zip whose offsets count them (as a self-extracting stub's do), so
 * only the bytes on the wire are large and the 512 MiB unpacked-size budget is not
 * involved. The stored archive's checksum must match the one computed while sending.
 */

const MiB = 2 ** 20;
const SIZE = Number(process.env.WHARF_TEST_UPLOAD_MIB ?? 1024) * MiB;
/** Growth of the server's resident memory over idle allowed during the upload. */
const MAX_GROWTH = 160 * MiB;
const ADMIN = 'swiftadmin';
const PASSWORD = 'swift-memory-password';
const BOUNDARY = 'E621E1F8-C36C-495A-93FC-0C247A3E6E5F';

/** `zip` with every offset moved by `shift`, so it is valid after `shift` leading bytes. */
function shiftZip(zip: Buffer, shift: number): Buffer {
  const out = Buffer.from(zip);
  const eocd = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const entries = out.readUInt16LE(eocd + 10);
  let at = out.readUInt32LE(eocd + 16);
  out.writeUInt32LE(at + shift, eocd + 16);
  for (let i = 0; i < entries; i++) {
    out.writeUInt32LE(out.readUInt32LE(at + 42) + shift, at + 42);
    at += 46 + out.readUInt16LE(at + 28) + out.readUInt16LE(at + 30) + out.readUInt16LE(at + 32);
  }
  return out;
}

/** The publish body, generated as it is sent; `sha256` is the archive's once it has been read. */
function publishBody(fillerBytes: number): { stream: Readable; length: number; sha256(): string } {
  const head = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="source-archive"\r\n` +
      'Content-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n',
  );
  const zip = shiftZip(sourceArchive('big_package'), fillerBytes);
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  // Hex text: never a CR LF, so never a boundary.
  const block = Buffer.from(createHash('sha512').update('wharf').digest('hex').repeat(2048));
  const hash = createHash('sha256');
  let sent = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (sent === 0) this.push(head);
      if (sent < fillerBytes) {
        const n = Math.min(block.length, fillerBytes - sent);
        const chunk = n === block.length ? block : block.subarray(0, n);
        hash.update(chunk);
        sent += n;
        this.push(chunk);
        return;
      }
      hash.update(zip);
      digest = hash.digest('hex');
      this.push(Buffer.concat([zip, tail]));
      this.push(null);
    },
  });
  return {
    stream,
    length: head.length + fillerBytes + zip.length + tail.length,
    sha256: () => digest!,
  };
}

function rss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

describeIf(serverBuilt(), 'the built server (npm run build)', 'Swift publish memory', () => {
  let dataDir: string;
  let server: ServerProcess;
  const auth = `Basic ${Buffer.from(`${ADMIN}:${PASSWORD}`).toString('base64')}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-swift-mem-'));
    server = startServerProcess({
      PORT: String(await freePortBlock()),
      REGISTRY_DATA_DIR: dataDir,
      REGISTRY_LOG_LEVEL: 'warn',
      REGISTRY_ADMIN_USERNAME: ADMIN,
      REGISTRY_ADMIN_PASSWORD: PASSWORD,
    });
    await server.ready();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`publishes a ${SIZE / MiB} MiB archive sent as SwiftPM sends it, its memory flat and its checksum kept`, async () => {
    const pid = server.child.pid!;
    const idle = rss(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
    const body = publishBody(SIZE);
    let status: number;
    let answer = '';
    try {
      status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${server.url}/api/packages/${ADMIN}/swift/mem-scope/big_package/1.0.0`,
          {
            method: 'PUT',
            headers: {
              authorization: auth,
              accept: 'application/vnd.swift.registry.v1+json',
              'content-type': `multipart/form-data;boundary="${BOUNDARY}"`,
              'content-length': body.length,
            },
          },
          (res) => {
            res.on('data', (c: Buffer) => (answer += c.toString()));
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        pipeline(body.stream, req).catch(reject);
      });
    } finally {
      clearInterval(sampler);
    }
    expect({ status, answer }).toEqual({ status: 201, answer: '' });
    expect(peak - idle).toBeLessThan(MAX_GROWTH);

    const release = await fetch(
      `${server.url}/api/packages/${ADMIN}/swift/mem-scope/big_package/1.0.0`,
      { headers: { authorization: auth, accept: 'application/vnd.swift.registry.v1+json' } },
    );
    const metadata = (await release.json()) as { resources: { checksum: string }[] };
    expect(metadata.resources[0].checksum).toBe(body.sha256());

    // And the stored bytes are those: the download hashes to the same.
    const download = await fetch(
      `${server.url}/api/packages/${ADMIN}/swift/mem-scope/big_package/1.0.0.zip`,
      { headers: { authorization: auth, accept: 'application/vnd.swift.registry.v1+zip' } },
    );
    expect(download.status).toBe(200);
    const hash = createHash('sha256');
    for await (const chunk of Readable.fromWeb(download.body! as never))
      hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(body.sha256());
  });
});
