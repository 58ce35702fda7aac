import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/*
 * What the ALT tests need besides rpmbuild (core's testing/rpmbuild.ts): librpm reading a
 * served pkglist the way apt-rpm does, the xz tool apt-rpm decompresses lists with, and
 * rpms altered after the build (a corrupt header, a payload with a hostile name, a bomb).
 *
 * apt-rpm (ALT's apt, apt-pkg/rpm/rpmhandler.cc) reads pkglist.classic with librpm's
 * `headerRead(FD, HEADER_MAGIC_YES)`, header after header, then asks each for its tags.
 * Debian's python3-rpm binds the same librpm (4.18): `rpm.readHeaderListFromFile` loops
 * over headerRead exactly so. No apt-rpm installs on Debian; librpm is the part of it
 * that parses the bytes Wharf writes.
 */

/** The python with Debian's `rpm` module (python3-rpm), not a pyenv one without it. */
const PYTHON = '/usr/bin/python3';

export function findLibrpm(): { available: boolean; missing: string } {
  const probe = spawnSync(PYTHON, ['-c', 'import rpm'], { stdio: 'ignore' });
  return {
    available: probe.status === 0,
    missing: 'librpm for python (apt-get install python3-rpm)',
  };
}

export function findXz(): { available: boolean; missing: string } {
  const probe = spawnSync('xz', ['--version'], { stdio: 'ignore' });
  return { available: probe.status === 0, missing: 'xz (apt-get install xz-utils)' };
}

/** A pkglist record as apt-rpm's RPMFileHandler/RPMHdrHandler read it through librpm. */
export interface AptRpmRecord {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
  summary: string;
  description: string;
  group: string;
  packager: string;
  size: number;
  sourcerpm: string;
  /** CRPMTAG_FILENAME, CRPMTAG_DIRECTORY, CRPMTAG_FILESIZE, CRPMTAG_MD5, CRPMTAG_BLAKE2B */
  filename: string;
  directory: string;
  filesize: number;
  md5: string;
  blake2b: string;
  requires: { name: string; flags: number; version: string }[];
  provides: { name: string; flags: number; version: string }[];
  /** RPMTAG_FILENAMES: librpm joins DIRNAMES[DIRINDEXES[i]] and BASENAMES[i]. */
  files: string[];
  changelog: { time: number; name: string; text: string }[];
}

const READER = `
import json, sys, rpm
def s(v):
    return v.decode('utf-8') if isinstance(v, bytes) else v
def deps(h, n, f, v):
    return [{'name': s(a), 'flags': b, 'version': s(c)} for a, b, c in zip(h[n], h[f], h[v])]
out = []
for h in rpm.readHeaderListFromFile(sys.argv[1]):
    out.append({
        'name': s(h[rpm.RPMTAG_NAME]), 'epoch': h[rpm.RPMTAG_EPOCH],
        'version': s(h[rpm.RPMTAG_VERSION]), 'release': s(h[rpm.RPMTAG_RELEASE]),
        'arch': s(h[rpm.RPMTAG_ARCH]), 'summary': s(h[rpm.RPMTAG_SUMMARY]),
        'description': s(h[rpm.RPMTAG_DESCRIPTION]), 'group': s(h[rpm.RPMTAG_GROUP]),
        'packager': s(h[rpm.RPMTAG_PACKAGER] or ''), 'size': h[rpm.RPMTAG_SIZE],
        'sourcerpm': s(h[rpm.RPMTAG_SOURCERPM]),
        'filename': s(h[1000000]), 'filesize': h[1000001], 'md5': s(h[1000005]),
        'blake2b': s(h[1000009]), 'directory': s(h[1000010]),
        'requires': deps(h, rpm.RPMTAG_REQUIRENAME, rpm.RPMTAG_REQUIREFLAGS, rpm.RPMTAG_REQUIREVERSION),
        'provides': deps(h, rpm.RPMTAG_PROVIDENAME, rpm.RPMTAG_PROVIDEFLAGS, rpm.RPMTAG_PROVIDEVERSION),
        'files': [s(f) for f in h[rpm.RPMTAG_FILENAMES]],
        'changelog': [{'time': t, 'name': s(n), 'text': s(x)} for t, n, x in
                      zip(h[rpm.RPMTAG_CHANGELOGTIME], h[rpm.RPMTAG_CHANGELOGNAME], h[rpm.RPMTAG_CHANGELOGTEXT])],
    })
json.dump(out, sys.stdout)
`;

function run(cmd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${cmd}: ${err.message}\n${stderr.toString()}`)) : resolve(stdout),
    );
    if (input) child.stdin!.end(input);
  });
}

/** Reads a pkglist with librpm's headerRead, as apt-rpm does; throws what librpm refuses. */
export async function readPkglistWithLibrpm(pkglist: Buffer): Promise<AptRpmRecord[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-alt-'));
  try {
    const file = path.join(dir, 'pkglist.classic');
    writeFileSync(file, pkglist);
    const out = await run(PYTHON, ['-c', READER, file]);
    return JSON.parse(out.toString('utf8')) as AptRpmRecord[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `xz -dc`: apt-rpm's xz method pipes pkglist.classic.xz through the xz program. */
export function xzDecompress(data: Buffer): Promise<Buffer> {
  return run('xz', ['-dc'], data);
}

/** The sections of a release file as apt-rpm's pkgRepository::ParseRelease reads them. */
export function parseRelease(text: string): {
  fields: Record<string, string>;
  sums: Record<'MD5Sum' | 'BLAKE2b', { hash: string; size: number; path: string }[]>;
} {
  const fields: Record<string, string> = {};
  const sums = { MD5Sum: [], BLAKE2b: [] } as Record<
    'MD5Sum' | 'BLAKE2b',
    { hash: string; size: number; path: string }[]
  >;
  let section: 'MD5Sum' | 'BLAKE2b' | undefined;
  // pkgTagFile: one stanza, ended by the first empty line.
  for (const line of text.split('\n')) {
    if (line === '') break;
    if (line.startsWith(' ') && section) {
      const [hash, size, file] = line.trim().split(/\s+/);
      sums[section].push({ hash, size: Number(size), path: file });
      continue;
    }
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    fields[key] = line.slice(colon + 1).trim();
    section = key === 'MD5Sum' || key === 'BLAKE2b' ? key : undefined;
  }
  return { fields, sums };
}

/** Byte ranges of an rpm: lead (96), signature header (+ padding to 8), main header, payload. */
export function rpmLayout(rpm: Buffer): {
  sigStart: number;
  headerStart: number;
  payloadStart: number;
} {
  const headerSize = (at: number) => 16 + rpm.readUInt32BE(at + 8) * 16 + rpm.readUInt32BE(at + 12);
  const sigStart = 96;
  const sigEnd = sigStart + headerSize(sigStart);
  const headerStart = sigEnd + ((8 - (sigEnd % 8)) % 8);
  return { sigStart, headerStart, payloadStart: headerStart + headerSize(headerStart) };
}

/** The rpm with one byte of its main header's data changed (the NAME string's first byte). */
export function corruptMainHeader(rpm: Buffer): Buffer {
  const out = Buffer.from(rpm);
  const { headerStart } = rpmLayout(out);
  const il = out.readUInt32BE(headerStart + 8);
  const store = headerStart + 16 + il * 16;
  for (let i = 0; i < il; i++) {
    const at = headerStart + 16 + i * 16;
    if (out.readUInt32BE(at) === 1000) {
      out[store + out.readUInt32BE(at + 8)] ^= 0x20;
      return out;
    }
  }
  throw new Error('no NAME tag in the main header');
}

/**
 * The rpm claiming in its signature header that the payload unpacks to `size` bytes
 * (RPMSIGTAG_PAYLOADSIZE, 1007): no digest covers the signature header itself.
 */
export function claimPayloadSize(rpm: Buffer, size: number): Buffer {
  const out = Buffer.from(rpm);
  const il = out.readUInt32BE(96 + 8);
  const store = 96 + 16 + il * 16;
  for (let i = 0; i < il; i++) {
    const at = 96 + 16 + i * 16;
    if (out.readUInt32BE(at) === 1007) {
      out.writeUInt32BE(size, store + out.readUInt32BE(at + 8));
      return out;
    }
  }
  throw new Error('no PAYLOADSIZE in the signature header');
}

/** The rpm with its payload replaced by `payload` (headers untouched). */
export function replacePayload(rpm: Buffer, payload: Buffer): Buffer {
  return Buffer.concat([rpm.subarray(0, rpmLayout(rpm).payloadStart), payload]);
}

/** A gzip'd newc cpio archive of `entries` (regular files), as rpm writes payloads. */
export function newcCpio(entries: { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [];
  const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const entry = (name: string, data: Buffer, mode: number, ino: number) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = Buffer.from(
      `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`,
      'ascii',
    );
    parts.push(header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length));
  };
  entries.forEach((e, i) => entry(e.name, e.data, 0o100644, i + 1));
  entry('TRAILER!!!', Buffer.alloc(0), 0, 0);
  return gzipSync(Buffer.concat(parts));
}

/**
 * Another version of an rpm without running rpmbuild again: every occurrence of `from` in
 * its main header becomes `to` (same length, so no offset moves), and the signature
 * header's digests of the main header (SHA-256, SHA-1) and of header + payload (MD5) are
 * recomputed, as rpm would have written them. For suites that publish many versions.
 */
export function renumberRpm(rpm: Buffer, from: string, to: string): Buffer {
  if (Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('same length only');
  const out = Buffer.from(rpm);
  const { headerStart, payloadStart } = rpmLayout(out);
  const header = out.subarray(headerStart, payloadStart);
  const needle = Buffer.from(from);
  for (let at = header.indexOf(needle); at >= 0; at = header.indexOf(needle, at + 1))
    Buffer.from(to).copy(header, at);
  const il = out.readUInt32BE(96 + 8);
  const store = 96 + 16 + il * 16;
  for (let i = 0; i < il; i++) {
    const entry = 96 + 16 + i * 16;
    const offset = store + out.readUInt32BE(entry + 8);
    const tag = out.readUInt32BE(entry);
    const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest();
    if (tag === 273) out.write(digest('sha256', header).toString('hex'), offset, 'ascii');
    if (tag === 269) out.write(digest('sha1', header).toString('hex'), offset, 'ascii');
    if (tag === 1004) digest('md5', out.subarray(headerStart)).copy(out, offset);
  }
  return out;
}
