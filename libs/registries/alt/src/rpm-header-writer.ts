/*
 * Writes rpm header structures (rpm's doc/manual/format_v4.md, "Header"): the records of
 * apt-rpm's pkglist are bare headers, back to back (docs/protocols/alt.md §4). Reading
 * them is core's rpm-header-reader; only ALT writes them, so the writer lives here.
 *
 * Layout: magic 8e ad e8 01, four zero bytes, the entry count and the data size (u32
 * big-endian), one 16-byte index entry per tag (tag, type, offset into the data, count),
 * then the data. Entries are written in tag order with their data in the same order, as
 * rpm's headerExport does: librpm (which apt-rpm reads pkglists with, headerRead) refuses
 * data that overlaps or runs backwards, and integers must sit at offsets aligned to their
 * size (the gap is zeros).
 */

/** rpm's header entry types (rpmTagType). */
export enum RpmType {
  Int16 = 3,
  Int32 = 4,
  String = 6,
  Bin = 7,
  StringArray = 8,
  I18nString = 9,
}

export type RpmEntry =
  | { tag: number; type: RpmType.Int16 | RpmType.Int32; value: readonly number[] }
  | { tag: number; type: RpmType.String; value: string }
  | { tag: number; type: RpmType.StringArray | RpmType.I18nString; value: readonly string[] }
  | { tag: number; type: RpmType.Bin; value: Buffer };

const MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0]);
const INT_SIZE: Partial<Record<RpmType, number>> = { [RpmType.Int16]: 2, [RpmType.Int32]: 4 };

/** Encodes one header; entries may come in any order, each tag at most once. */
export function encodeRpmHeader(entries: readonly RpmEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.tag - b.tag);
  sorted.forEach((e, i) => {
    if (i && sorted[i - 1].tag === e.tag) throw new Error(`rpm header tag ${e.tag} given twice`);
  });
  const index = Buffer.alloc(16 * sorted.length);
  const data: Buffer[] = [];
  let size = 0;
  sorted.forEach((entry, i) => {
    const { bytes, count } = encodeValue(entry);
    const align = INT_SIZE[entry.type] ?? 1;
    const pad = (align - (size % align)) % align;
    if (pad) {
      data.push(Buffer.alloc(pad));
      size += pad;
    }
    index.writeUInt32BE(entry.tag, 16 * i);
    index.writeUInt32BE(entry.type, 16 * i + 4);
    index.writeUInt32BE(size, 16 * i + 8);
    index.writeUInt32BE(count, 16 * i + 12);
    data.push(bytes);
    size += bytes.length;
  });
  const counts = Buffer.alloc(8);
  counts.writeUInt32BE(sorted.length, 0);
  counts.writeUInt32BE(size, 4);
  return Buffer.concat([MAGIC, counts, index, ...data]);
}

function encodeValue(entry: RpmEntry): { bytes: Buffer; count: number } {
  switch (entry.type) {
    case RpmType.Int16:
    case RpmType.Int32: {
      const width = INT_SIZE[entry.type]!;
      const bytes = Buffer.alloc(width * entry.value.length);
      entry.value.forEach((v, i) => bytes.writeUIntBE(v, i * width, width));
      return { bytes, count: entry.value.length };
    }
    case RpmType.String:
      return { bytes: cString(entry.value), count: 1 };
    case RpmType.StringArray:
    case RpmType.I18nString:
      return { bytes: Buffer.concat(entry.value.map(cString)), count: entry.value.length };
    case RpmType.Bin:
      return { bytes: entry.value, count: entry.value.length };
  }
}

function cString(value: string): Buffer {
  if (value.includes('\0')) throw new Error('an rpm header string cannot hold a NUL byte');
  return Buffer.from(`${value}\0`, 'utf8');
}
