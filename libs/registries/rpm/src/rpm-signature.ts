import { RpmHeader, RpmIndexEntry, RpmSigTag, RpmTagType } from '@wharf/packages-core';

/*
 * Signing an rpm as rpmsign does (docs/protocols/rpm.md §6): a new signature header
 * carrying two OpenPGP signatures made with the owner's key, the rest of the file
 * unchanged. rpm 4.x reads
 *   RPMSIGTAG_RSA (268)  a signature of the main header alone (what rpm ≥ 4.14 and dnf check),
 *   RPMSIGTAG_PGP (1002) a signature of the main header followed by the payload (older rpm),
 * both raw signature packets. Every other tag is carried over: the SHA-1/SHA-256 header
 * digests, the MD5 and size of header+payload stay right since neither changes. Earlier
 * signatures (RSA/DSA/PGP/GPG) are replaced: an rpm has room for one signer, and dnf checks
 * the repository's. The reserved space rpmbuild leaves for in-place signing is dropped.
 *
 * The header is rebuilt as rpm lays one out: the region tag (62) first, the other entries
 * by tag, data aligned to its type, the region trailer last; then zeros to a multiple of 8.
 */

const REPLACED: ReadonlySet<number> = new Set([
  RpmSigTag.HeaderSignatures,
  RpmSigTag.Dsa,
  RpmSigTag.Rsa,
  RpmSigTag.Pgp,
  RpmSigTag.Gpg,
  RpmSigTag.ReservedSpace,
]);
const ALIGN: Partial<Record<RpmTagType, number>> = {
  [RpmTagType.Int16]: 2,
  [RpmTagType.Int32]: 4,
  [RpmTagType.Int64]: 8,
};
const HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);

interface NewEntry {
  tag: number;
  type: RpmTagType;
  count: number;
  data: Buffer;
}

/**
 * The signature header to write in place of `signature` (padded to 8 bytes), with the
 * header-only signature `headerSignature` and the header+payload one `packageSignature`.
 */
export function signedSignatureHeader(
  signature: RpmHeader,
  headerSignature: Uint8Array,
  packageSignature: Uint8Array,
): Buffer {
  const entries: NewEntry[] = signature.entries
    .filter((e) => !REPLACED.has(e.tag))
    .map((e: RpmIndexEntry) => ({
      tag: e.tag,
      type: e.type,
      count: e.count,
      data: signature.entryData(e),
    }));
  const bin = (tag: number, bytes: Uint8Array): NewEntry => ({
    tag,
    type: RpmTagType.Bin,
    count: bytes.length,
    data: Buffer.from(bytes),
  });
  entries.push(bin(RpmSigTag.Rsa, headerSignature), bin(RpmSigTag.Pgp, packageSignature));
  const unique = new Map(entries.map((e) => [e.tag, e]));
  const header = encodeHeader(
    [...unique.values()].sort((a, b) => a.tag - b.tag),
    RpmSigTag.HeaderSignatures,
  );
  return Buffer.concat([header, Buffer.alloc((8 - (header.length % 8)) % 8)]);
}

/** A header with a region tag covering all of `entries` (given in tag order). */
function encodeHeader(entries: NewEntry[], regionTag: number): Buffer {
  const il = entries.length + 1;
  const index: Buffer[] = [];
  const store: Buffer[] = [];
  let size = 0;
  const entry = (tag: number, type: number, offset: number, count: number) => {
    const b = Buffer.alloc(16);
    b.writeInt32BE(tag, 0);
    b.writeUInt32BE(type, 4);
    b.writeInt32BE(offset, 8);
    b.writeUInt32BE(count, 12);
    return b;
  };
  for (const e of entries) {
    const align = ALIGN[e.type] ?? 1;
    const pad = (align - (size % align)) % align;
    if (pad) store.push(Buffer.alloc(pad));
    size += pad;
    index.push(entry(e.tag, e.type, size, e.count));
    store.push(e.data);
    size += e.data.length;
  }
  // The trailer: the region tag again, pointing back over the whole index.
  const trailer = entry(regionTag, RpmTagType.Bin, -il * 16, 16);
  const region = entry(regionTag, RpmTagType.Bin, size, 16);
  store.push(trailer);
  size += 16;
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(il, 0);
  counts.writeUInt32BE(size, 4);
  return Buffer.concat([HEADER_MAGIC, counts, region, ...index, ...store]);
}
