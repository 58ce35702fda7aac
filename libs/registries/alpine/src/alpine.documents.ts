import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { AlpineFileMetadata, AlpineVersionMetadata } from './alpine.metadata';

/*
 * Builders of what an apk repository serves (docs/protocols/alpine.md §4): the APKINDEX
 * records, the index archive and its signature segment. Pure: plain values in, bytes out.
 */

/** One package of an index. */
export interface IndexRecord {
  name: string;
  version: string;
  /** Bytes of the stored .apk (`S:`). */
  size: number;
  version_metadata: AlpineVersionMetadata;
  file: AlpineFileMetadata;
}

const END_OF_ARCHIVE = 1024;

// eslint-disable-next-line no-control-regex
const clean = (value: string) => value.replace(/[\u0000-\u001f\u007f]/g, ' ');

/**
 * A record as apk reads it (`X:value` lines, a blank line after each), in the order
 * Forgejo writes them. `A:` is the architecture of the index it is in, so a noarch
 * package listed in the x86_64 index says `A:x86_64` there (apk-tools' own indexes
 * never mix architectures) and `A:noarch` only in noarch's own index.
 */
export function indexRecord(record: IndexRecord, arch: string): string {
  const { file, version_metadata: meta } = record;
  const lines: [string, string | number | undefined][] = [
    ['C', file.checksum],
    ['P', record.name],
    ['V', record.version],
    ['A', arch],
    ['T', meta.description],
    ['U', meta.project_url],
    ['L', meta.license],
    ['S', record.size],
    ['I', file.size ?? 0],
    ['o', file.origin ?? ''],
    ['m', meta.maintainer ?? ''],
    ['t', file.build_date ?? 0],
    ['c', file.commit_hash],
    ['D', file.dependencies?.join(' ')],
    ['p', file.provides?.join(' ')],
    ['i', file.install_if],
    ['k', file.provider_priority ? file.provider_priority : undefined],
  ];
  const always = new Set(['o', 'm', 't', 'I', 'S']);
  return (
    lines
      .filter(([k, v]) => always.has(k) || (v !== undefined && v !== ''))
      .map(([k, v]) => `${k}:${clean(String(v))}\n`)
      .join('') + '\n'
  );
}

/** A tar of the entries (mode 0600, owned by root, at `mtime`), with or without its end blocks. */
export async function tarOf(
  entries: { name: string; body: Buffer }[],
  mtime: Date,
  endBlocks: boolean,
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries)
    pack.entry(
      { name: e.name, mode: 0o600, mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' },
      e.body,
    );
  pack.finalize();
  await done;
  const all = Buffer.concat(chunks);
  return endBlocks ? all : all.subarray(0, all.length - END_OF_ARCHIVE);
}

/**
 * The unsigned part of `APKINDEX.tar.gz`: one gzip member holding a tar of `DESCRIPTION`
 * and `APKINDEX`, end blocks included. Deterministic for the same records and time.
 */
export async function indexArchive(
  description: string,
  records: string,
  mtime: Date,
): Promise<Buffer> {
  const body = await tarOf(
    [
      { name: 'DESCRIPTION', body: Buffer.from(description) },
      { name: 'APKINDEX', body: Buffer.from(records) },
    ],
    mtime,
    true,
  );
  return gzipSync(body, { level: 9 });
}

/** `{owner}@{sha256 of the key's DER, hex}.rsa.pub`: the name apk looks the key up by in /etc/apk/keys. */
export function keyFileName(owner: string, fingerprint: string): string {
  return `${owner.toLowerCase()}@${fingerprint}.rsa.pub`;
}

/**
 * The signature segment put before the index: a gzip member of a cut tar (no end blocks,
 * so apk reads on into the next member) whose one entry `.SIGN.RSA.{key file}` holds the
 * RSA PKCS#1 v1.5 SHA-1 signature of the index member's bytes.
 */
export async function signatureSegment(
  keyName: string,
  signature: Buffer,
  mtime: Date,
): Promise<Buffer> {
  const body = await tarOf([{ name: `.SIGN.RSA.${keyName}`, body: signature }], mtime, false);
  return gzipSync(body, { level: 9 });
}
