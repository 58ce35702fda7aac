import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { InvalidArtifactError, RegistryError } from '../errors/registry-error';
import { ByteQueue, TruncatedError } from './decompress-stream';
import { ArchiveBudgetError } from './tar-entry-reader';

/*
 * Reads the headers of an rpm package (RPM and ALT registries), as a stream, without
 * trusting a byte of it. An rpm file is, in order (rpm's doc/manual/format_v4.md):
 *
 *   lead        96 bytes: magic ed ab ee db, version, type, arch, name, os, sigtype 5
 *   signature   a header (below) of RPMSIGTAG_* tags: digests and signatures of what
 *               follows; padded with zeros to a multiple of 8 bytes
 *   header      the main header: name, version, dependencies, file list… (RPMTAG_*)
 *   payload     a compressed cpio archive (cpio-reader.ts walks it)
 *
 * A header is: magic 8e ad e8 01 + 4 zero bytes, the number of index entries (il) and the
 * size of the data store (dl), both u32 big-endian, il index entries of 16 bytes (tag,
 * type, offset into the store, count), then the store. The first entry is usually a
 * region tag (62 for the signature, 63 for the main header) whose 16-byte trailer in the
 * store points back over the index.
 *
 * API:
 * - `readRpm(stream, options)` reads the lead and both headers from the start of a stream
 *   and returns them with their byte ranges (`layout`) and `payload`, the rest of the
 *   stream (the compressed payload) to consume or destroy. It checks the main header's
 *   bytes against the signature's SHA-256 (or SHA-1) digest unless told not to, so a
 *   header altered after the build is refused.
 * - `parseRpmHeader(bytes, what)` parses one whole header held in memory.
 * - `RpmHeader` gives typed access by tag: `string`, `strings`, `number`, `numbers`,
 *   `bin`; the `RpmTag`/`RpmSigTag` constants name the tags; `raw` is the header's bytes
 *   as stored (what header-only signatures and digests cover).
 * - rpm-package-info.ts turns a header into names, dependencies, files and changelog.
 *
 * Errors: InvalidArtifactError (400) naming what is wrong for anything malformed or
 * truncated, ArchiveBudgetError (413) for a header over `maxHeaderSize`; an error of the
 * input stream itself (storage) is rethrown as it is.
 */

export const RpmTag = {
  HeaderImmutable: 63,
  HeaderI18nTable: 100,
  Name: 1000,
  Version: 1001,
  Release: 1002,
  Epoch: 1003,
  Summary: 1004,
  Description: 1005,
  BuildTime: 1006,
  BuildHost: 1007,
  Size: 1009,
  Vendor: 1011,
  License: 1014,
  Packager: 1015,
  Group: 1016,
  Url: 1020,
  Os: 1021,
  Arch: 1022,
  OldFilenames: 1027,
  FileSizes: 1028,
  FileModes: 1030,
  FileRdevs: 1033,
  FileMtimes: 1034,
  FileDigests: 1035,
  FileLinkTos: 1036,
  FileFlags: 1037,
  FileUserName: 1039,
  FileGroupName: 1040,
  SourceRpm: 1044,
  ArchiveSize: 1046,
  ProvideName: 1047,
  RequireFlags: 1048,
  RequireName: 1049,
  RequireVersion: 1050,
  ConflictFlags: 1053,
  ConflictName: 1054,
  ConflictVersion: 1055,
  RpmVersion: 1064,
  ChangelogTime: 1080,
  ChangelogName: 1081,
  ChangelogText: 1082,
  ObsoleteName: 1090,
  SourcePackage: 1106,
  ProvideFlags: 1112,
  ProvideVersion: 1113,
  ObsoleteFlags: 1114,
  ObsoleteVersion: 1115,
  DirIndexes: 1116,
  BaseNames: 1117,
  DirNames: 1118,
  PayloadFormat: 1124,
  PayloadCompressor: 1125,
  PayloadFlags: 1126,
  Platform: 1132,
  LongFileSizes: 5008,
  LongSize: 5009,
  FileDigestAlgo: 5011,
  RecommendName: 5046,
  RecommendVersion: 5047,
  RecommendFlags: 5048,
  SuggestName: 5049,
  SuggestVersion: 5050,
  SuggestFlags: 5051,
  SupplementName: 5052,
  SupplementVersion: 5053,
  SupplementFlags: 5054,
  EnhanceName: 5055,
  EnhanceVersion: 5056,
  EnhanceFlags: 5057,
  PayloadDigest: 5092,
  PayloadDigestAlgo: 5093,
} as const;

/** Tags of the signature header (rpmtag.h RPMSIGTAG_*). */
export const RpmSigTag = {
  HeaderSignatures: 62,
  Dsa: 267, // header-only DSA signature (OpenPGP packet)
  Rsa: 268, // header-only RSA signature (OpenPGP packet)
  Sha1: 269, // hex SHA-1 of the main header
  LongSize: 270,
  LongArchiveSize: 271,
  Sha256: 273, // hex SHA-256 of the main header
  Size: 1000, // bytes of header + payload
  Pgp: 1002, // header+payload RSA signature (OpenPGP packet)
  Md5: 1004, // MD5 of header + payload
  Gpg: 1005, // header+payload DSA signature
  PayloadSize: 1007, // bytes of the uncompressed payload
  ReservedSpace: 1008, // zeros rpmsign replaces with signatures in place
} as const;

/** Entry types of the header index (rpm's rpmTagType). */
export enum RpmTagType {
  Null = 0,
  Char = 1,
  Int8 = 2,
  Int16 = 3,
  Int32 = 4,
  Int64 = 5,
  String = 6,
  Bin = 7,
  StringArray = 8,
  I18nString = 9,
}

/** Byte size and alignment of one element of the fixed-size types. */
const FIXED_SIZE: Partial<Record<RpmTagType, number>> = {
  [RpmTagType.Char]: 1,
  [RpmTagType.Int8]: 1,
  [RpmTagType.Int16]: 2,
  [RpmTagType.Int32]: 4,
  [RpmTagType.Int64]: 8,
  [RpmTagType.Bin]: 1,
};

export const RPM_LEAD_SIZE = 96;
const LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
const RPMSIGTYPE_HEADERSIG = 5;
// rpm's own bounds (hdrchkTags, hdrchkData): beyond these rpm refuses the header too.
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_STORE = 0x0fffffff;
const DEFAULT_MAX_HEADER = 64 * 1024 * 1024;

export interface RpmLead {
  major: number;
  minor: number;
  /** 0 binary, 1 source. */
  type: number;
  /** The NEVR rpmbuild wrote (informative only; the header is what counts). */
  name: string;
}

/** A half-open byte range [start, end) of the file. */
export interface RpmByteRange {
  start: number;
  end: number;
}

export interface RpmLayout {
  lead: RpmByteRange;
  /** The signature header, without its padding. */
  signature: RpmByteRange;
  /** The main header: what header-only signatures and the SHA-256/SHA-1 digests cover. */
  header: RpmByteRange;
  /** Offset of the compressed payload (= header.end). */
  payloadStart: number;
}

export interface RpmIndexEntry {
  tag: number;
  type: RpmTagType;
  offset: number;
  count: number;
}

export interface RpmReadOptions {
  /** Largest header (index + store) read into memory, signature and main each; default 64 MiB. */
  maxHeaderSize?: number;
  /** Compare the main header with the signature's SHA-256 or SHA-1 digest; default true. */
  verifyHeaderDigest?: boolean;
  /** How messages name the file; default "the rpm". */
  label?: string;
}

export interface RpmHeaders {
  lead: RpmLead;
  signature: RpmHeader;
  header: RpmHeader;
  layout: RpmLayout;
}

export interface RpmStream extends RpmHeaders {
  /** The rest of the input, from `layout.payloadStart`: consume it or destroy it. */
  payload: Readable;
}

/** One parsed header: the index, and typed reads from the store. */
export class RpmHeader {
  private readonly byTag = new Map<number, RpmIndexEntry>();

  /**
   * @param raw the whole header as stored (magic, counts, index, store)
   * @param what how messages name it ("the rpm's main header")
   */
  constructor(
    readonly raw: Buffer,
    readonly entries: readonly RpmIndexEntry[],
    private readonly store: Buffer,
    private readonly what: string,
  ) {
    for (const entry of entries) if (!this.byTag.has(entry.tag)) this.byTag.set(entry.tag, entry);
  }

  has(tag: number): boolean {
    return this.byTag.has(tag);
  }

  entry(tag: number): RpmIndexEntry | undefined {
    return this.byTag.get(tag);
  }

  /** A STRING, or the first (the C locale's) of an I18NSTRING; undefined when absent. */
  string(tag: number): string | undefined {
    const entry = this.byTag.get(tag);
    if (!entry) return undefined;
    if (entry.type !== RpmTagType.String && entry.type !== RpmTagType.I18nString)
      throw this.wrongType(entry, 'a string');
    return this.readStrings(entry, 1)[0];
  }

  /** A STRING_ARRAY (a STRING as one element); empty when absent. */
  strings(tag: number): string[] {
    const entry = this.byTag.get(tag);
    if (!entry) return [];
    if (entry.type === RpmTagType.String) return this.readStrings(entry, 1);
    if (entry.type !== RpmTagType.StringArray && entry.type !== RpmTagType.I18nString)
      throw this.wrongType(entry, 'a string array');
    return this.readStrings(entry, entry.count);
  }

  /** The first integer of an INT8/16/32/64 or CHAR entry; undefined when absent. */
  number(tag: number): number | undefined {
    const entry = this.byTag.get(tag);
    return entry ? this.numbers(tag)[0] : undefined;
  }

  /** All integers of an INT8/16/32/64 or CHAR entry (unsigned, as rpm reads them); empty when absent. */
  numbers(tag: number): number[] {
    const entry = this.byTag.get(tag);
    if (!entry) return [];
    const size = entry.type === RpmTagType.Bin ? undefined : FIXED_SIZE[entry.type];
    if (!size) throw this.wrongType(entry, 'an integer');
    const out = new Array<number>(entry.count);
    for (let i = 0, at = entry.offset; i < entry.count; i++, at += size) {
      if (size === 8) {
        const value = this.store.readBigUInt64BE(at);
        if (value > BigInt(Number.MAX_SAFE_INTEGER))
          throw this.invalid(`tag ${entry.tag} holds an integer too large to use`);
        out[i] = Number(value);
      } else out[i] = this.store.readUIntBE(at, size);
    }
    return out;
  }

  /** The bytes of a BIN entry (a copy); undefined when absent. */
  bin(tag: number): Buffer | undefined {
    const entry = this.byTag.get(tag);
    if (!entry) return undefined;
    if (entry.type !== RpmTagType.Bin) throw this.wrongType(entry, 'binary data');
    return Buffer.from(this.store.subarray(entry.offset, entry.offset + entry.count));
  }

  /**
   * The bytes of one entry's data as stored (strings with their NULs), a copy: what a
   * writer re-encoding the header (rpm signing) carries over unchanged.
   */
  entryData(entry: RpmIndexEntry): Buffer {
    const size = FIXED_SIZE[entry.type];
    let end: number;
    if (size) end = entry.offset + size * entry.count;
    else {
      end = entry.offset;
      const count = entry.type === RpmTagType.String ? 1 : entry.count;
      for (let i = 0; i < count; i++) end = this.store.indexOf(0, end) + 1;
    }
    return Buffer.from(this.store.subarray(entry.offset, end));
  }

  private readStrings(entry: RpmIndexEntry, count: number): string[] {
    const out: string[] = [];
    let at = entry.offset;
    for (let i = 0; i < count; i++) {
      const end = this.store.indexOf(0, at);
      // parseRpmHeader checked that every string entry is NUL-terminated inside the store.
      out.push(this.store.toString('utf8', at, end));
      at = end + 1;
    }
    return out;
  }

  private wrongType(entry: RpmIndexEntry, wanted: string): InvalidArtifactError {
    return this.invalid(`tag ${entry.tag} has type ${entry.type}; ${wanted} was expected`);
  }

  private invalid(reason: string): InvalidArtifactError {
    return new InvalidArtifactError(`${this.what} is corrupt: ${reason}`);
  }
}

/**
 * Parses one whole header (`bytes` from its magic to the end of its store; extra bytes
 * after it are refused). Every entry is checked against the store: type, alignment,
 * bounds, NUL-terminated strings; a region tag's trailer must point back over the index.
 */
export function parseRpmHeader(bytes: Buffer, what = 'the rpm header'): RpmHeader {
  const invalid = (reason: string) => new InvalidArtifactError(`${what} is corrupt: ${reason}`);
  if (bytes.length < 16 || !bytes.subarray(0, 8).equals(HEADER_MAGIC))
    throw invalid('it does not start with the header magic 8e ad e8 01');
  const il = bytes.readUInt32BE(8);
  const dl = bytes.readUInt32BE(12);
  if (il < 1 || il > MAX_INDEX_ENTRIES) throw invalid(`it declares ${il} index entries`);
  if (dl > MAX_STORE) throw invalid(`it declares a ${dl}-byte data store`);
  if (bytes.length !== 16 + il * 16 + dl)
    throw invalid(`it is ${bytes.length} bytes, but its counts make ${16 + il * 16 + dl}`);
  const store = bytes.subarray(16 + il * 16);
  const entries: RpmIndexEntry[] = [];
  for (let i = 0; i < il; i++) {
    const at = 16 + i * 16;
    const entry: RpmIndexEntry = {
      tag: bytes.readInt32BE(at),
      type: bytes.readUInt32BE(at + 4),
      offset: bytes.readInt32BE(at + 8),
      count: bytes.readUInt32BE(at + 12),
    };
    checkEntry(entry, store, invalid);
    entries.push(entry);
  }
  checkRegion(entries, store, invalid);
  return new RpmHeader(bytes, entries, store, what);
}

function checkEntry(
  entry: RpmIndexEntry,
  store: Buffer,
  invalid: (reason: string) => InvalidArtifactError,
): void {
  const { tag, type, offset, count } = entry;
  const name = `entry for tag ${tag}`;
  if (type < RpmTagType.Char || type > RpmTagType.I18nString)
    throw invalid(`the ${name} has unknown type ${type}`);
  if (count < 1 || count > store.length) throw invalid(`the ${name} declares ${count} elements`);
  if (offset < 0 || offset >= store.length)
    throw invalid(`the ${name} points outside the data store`);
  const size = FIXED_SIZE[type as RpmTagType];
  if (size) {
    if (offset % size !== 0) throw invalid(`the ${name} is not aligned to ${size} bytes`);
    if (offset + size * count > store.length) throw invalid(`the ${name} runs past the store`);
    return;
  }
  if (type === RpmTagType.String && count !== 1)
    throw invalid(`the ${name} is a string with ${count} elements`);
  let at = offset;
  for (let i = 0; i < count; i++) {
    const end = store.indexOf(0, at);
    if (end < 0) throw invalid(`a string of the ${name} runs past the store`);
    at = end + 1;
  }
}

/** The region tag, when present, must be first and its trailer must cover the whole index. */
function checkRegion(
  entries: RpmIndexEntry[],
  store: Buffer,
  invalid: (reason: string) => InvalidArtifactError,
): void {
  const first = entries[0];
  if (first.tag !== RpmTag.HeaderImmutable && first.tag !== RpmSigTag.HeaderSignatures) return;
  if (first.type !== RpmTagType.Bin || first.count !== 16)
    throw invalid(`its region tag ${first.tag} is not 16 bytes of binary data`);
  const trailer = store.subarray(first.offset, first.offset + 16);
  const tag = trailer.readInt32BE(0);
  const type = trailer.readUInt32BE(4);
  const back = -trailer.readInt32BE(8);
  if (tag !== first.tag || type !== RpmTagType.Bin || back % 16 !== 0 || back < 16)
    throw invalid(`its region trailer for tag ${first.tag} is damaged`);
  if (back / 16 > entries.length)
    throw invalid(`its region claims ${back / 16} index entries, more than the header has`);
}

/**
 * Reads the lead and both headers from the start of `stream`, and hands back the rest as
 * `payload`. See the file header for what is checked and thrown.
 */
export async function readRpm(stream: Readable, options: RpmReadOptions = {}): Promise<RpmStream> {
  const label = options.label ?? 'the rpm';
  const max = options.maxHeaderSize ?? DEFAULT_MAX_HEADER;
  let failure: unknown;
  // Remembers an error of the input itself, which says nothing about the package.
  async function* guarded(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      failure = err;
      throw err;
    }
  }
  const q = new ByteQueue(guarded());
  try {
    const lead = parseLead(await q.need(RPM_LEAD_SIZE, 'rpm'), label);
    const sigBytes = await readHeaderBytes(q, max, `${label}'s signature header`);
    const signature = parseRpmHeader(sigBytes, `${label}'s signature header`);
    const sigEnd = RPM_LEAD_SIZE + sigBytes.length;
    const padding = (8 - (sigBytes.length % 8)) % 8;
    if (!(await q.need(padding, 'rpm')).equals(Buffer.alloc(padding)))
      throw new InvalidArtifactError(
        `${label} is corrupt: the signature header's padding is not zeros`,
      );
    const headerBytes = await readHeaderBytes(q, max, `${label}'s main header`);
    const header = parseRpmHeader(headerBytes, `${label}'s main header`);
    if (options.verifyHeaderDigest !== false) verifyHeaderDigest(signature, headerBytes, label);
    const headerStart = sigEnd + padding;
    const headerEnd = headerStart + headerBytes.length;
    const payload = Readable.from(q.rest(), { objectMode: false });
    // Destroying the payload early (a caller that only wanted headers) releases the input.
    payload.once('close', () => stream.destroy());
    return {
      lead,
      signature,
      header,
      layout: {
        lead: { start: 0, end: RPM_LEAD_SIZE },
        signature: { start: RPM_LEAD_SIZE, end: sigEnd },
        header: { start: headerStart, end: headerEnd },
        payloadStart: headerEnd,
      },
      payload,
    };
  } catch (err) {
    stream.destroy();
    if (failure !== undefined) throw failure;
    if (err instanceof RegistryError) throw err;
    if (err instanceof TruncatedError)
      throw new InvalidArtifactError(`${label} is truncated: it ends inside its headers`);
    throw err;
  }
}

function parseLead(bytes: Buffer, label: string): RpmLead {
  if (!bytes.subarray(0, 4).equals(LEAD_MAGIC))
    throw new InvalidArtifactError(
      `${label} is not an rpm package (no rpm lead magic ed ab ee db)`,
    );
  const sigType = bytes.readUInt16BE(78);
  if (sigType !== RPMSIGTYPE_HEADERSIG)
    throw new InvalidArtifactError(
      `${label} has signature type ${sigType} in its lead; only rpm v3/v4 packages (type 5) are read`,
    );
  const nameEnd = bytes.indexOf(0, 10);
  return {
    major: bytes[4],
    minor: bytes[5],
    type: bytes.readUInt16BE(6),
    name: bytes.toString('latin1', 10, nameEnd < 0 || nameEnd > 76 ? 76 : nameEnd),
  };
}

async function readHeaderBytes(q: ByteQueue, max: number, what: string): Promise<Buffer> {
  const intro = await q.need(16, 'rpm');
  if (!intro.subarray(0, 8).equals(HEADER_MAGIC))
    throw new InvalidArtifactError(`${what} is corrupt: it does not start with the header magic`);
  const il = intro.readUInt32BE(8);
  const dl = intro.readUInt32BE(12);
  if (il < 1 || il > MAX_INDEX_ENTRIES || dl > MAX_STORE)
    throw new InvalidArtifactError(`${what} is corrupt: it declares ${il} entries and ${dl} bytes`);
  const size = il * 16 + dl;
  if (size > max) throw new ArchiveBudgetError(`${what} is ${size} bytes; at most ${max} are read`);
  return Buffer.concat([intro, await q.need(size, 'rpm')]);
}

/** rpm's header digests (RPMSIGTAG_SHA256, else RPMSIGTAG_SHA1) cover the main header as stored. */
function verifyHeaderDigest(signature: RpmHeader, headerBytes: Buffer, label: string): void {
  const sha256 = signature.string(RpmSigTag.Sha256);
  const sha1 = sha256 === undefined ? signature.string(RpmSigTag.Sha1) : undefined;
  const [algorithm, expected] = sha256 !== undefined ? ['sha256', sha256] : ['sha1', sha1];
  if (expected === undefined) return;
  const actual = createHash(algorithm as string)
    .update(headerBytes)
    .digest('hex');
  if (actual !== expected.toLowerCase())
    throw new InvalidArtifactError(
      `${label} is corrupt: its main header does not match the ${algorithm} digest in its signature header`,
    );
}
