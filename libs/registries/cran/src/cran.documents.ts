import { compareRVersions, CranMetadata } from './cran.metadata';

/*
 * The PACKAGES index (docs/protocols/cran.md §4): one DCF record per package, the fields
 * R's tools::write_PACKAGES writes, in its order. Plain values in, text out.
 */

/** A stored package file of the kind the index lists, with its version's metadata. */
export interface IndexedFile {
  metadata: CranMetadata;
  md5: string;
}

type Fields = [string, string][];

/**
 * The highest version (R's order) of each package among `files`, one record each, sorted
 * by package name as write_PACKAGES does. Values were folded to one line when the
 * DESCRIPTION was read, so no field can start another record.
 */
export function buildPackagesIndex(files: IndexedFile[]): string {
  return indexRecords(files)
    .map((fields) => fields.map(([name, value]) => `${name}: ${value}\n`).join(''))
    .join('\n');
}

/** The records of the index: each package's highest version, sorted by name. */
function indexRecords(files: IndexedFile[]): Fields[] {
  const newest = new Map<string, IndexedFile>();
  for (const f of files) {
    const key = f.metadata.package.toLowerCase();
    const seen = newest.get(key);
    if (!seen || compareRVersions(f.metadata.version, seen.metadata.version) > 0)
      newest.set(key, f);
  }
  return [...newest.values()]
    .sort((a, b) => compareNames(a.metadata.package, b.metadata.package))
    .map(record);
}

function record({ metadata: m, md5 }: IndexedFile): Fields {
  const fields: [string, string | undefined][] = [
    ['Package', m.package],
    ['Version', m.version],
    ['Priority', m.priority],
    ['Depends', m.depends],
    ['Imports', m.imports],
    ['LinkingTo', m.linkingTo],
    ['Suggests', m.suggests],
    ['Enhances', m.enhances],
    ['License', m.license],
    ['License_is_FOSS', m.licenseIsFoss],
    ['License_restricts_use', m.licenseRestrictsUse],
    ['OS_type', m.osType],
    ['MD5sum', md5],
    ['NeedsCompilation', m.needsCompilation ? 'yes' : 'no'],
  ];
  return fields.filter((f): f is [string, string] => !!f[1]);
}

/**
 * `PACKAGES.rds`: the index as the character matrix `read.dcf` makes of it (one row per
 * package, one column per field in order of first appearance, NA where a record lacks
 * the field, column names as dimnames), in R's serialization format version 2 (XDR),
 * uncompressed: what `saveRDS(read.dcf("PACKAGES"), version = 2, compress = FALSE)` writes,
 * after its header. R reads it with readRDS, gzip'd or not.
 */
export function buildPackagesRds(files: IndexedFile[]): Buffer {
  const records = indexRecords(files).map((fields) => new Map(fields));
  const columns = [...new Set(records.flatMap((r) => [...r.keys()]))];
  const out = new XdrWriter();
  out.bytes(Buffer.from('X\n'));
  out.int(2); // format version
  out.int(RDS_WRITER_VERSION);
  out.int(0x020300); // the oldest R that reads version 2: 2.3.0
  out.int(STRSXP | HAS_ATTR);
  out.int(records.length * columns.length);
  // Column-major, as R stores a matrix.
  for (const column of columns) for (const r of records) out.string(r.get(column));
  // Attributes: a pairlist of dim, then dimnames = list(NULL, columns).
  out.int(LISTSXP | HAS_TAG);
  out.symbol('dim');
  out.int(INTSXP);
  out.int(2);
  out.int(records.length);
  out.int(columns.length);
  out.int(LISTSXP | HAS_TAG);
  out.symbol('dimnames');
  out.int(VECSXP);
  out.int(2);
  out.int(NILVALUE_SXP);
  out.int(STRSXP);
  out.int(columns.length);
  for (const column of columns) out.string(column);
  out.int(NILVALUE_SXP); // end of the pairlist
  return out.done();
}

// SEXP types and flag bits of R's serialize.c.
const SYMSXP = 1;
const LISTSXP = 2;
const CHARSXP = 9;
const INTSXP = 13;
const STRSXP = 16;
const VECSXP = 19;
const NILVALUE_SXP = 254;
const HAS_ATTR = 1 << 9;
const HAS_TAG = 1 << 10;
// CHARSXP encoding levels (gp bits), written at bit 12 of the flags.
const UTF8_MASK = 1 << 3;
const ASCII_MASK = 1 << 6;
/** The R version the header names as the writer's: 4.2.2, the R of the fixtures. */
const RDS_WRITER_VERSION = 0x040202;

class XdrWriter {
  private readonly chunks: Buffer[] = [];

  int(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    this.chunks.push(b);
  }

  bytes(b: Buffer): void {
    this.chunks.push(b);
  }

  /** A CHARSXP: NA when undefined, ASCII or UTF-8 flagged as R does. */
  string(value: string | undefined): void {
    if (value === undefined) {
      this.int(CHARSXP);
      this.int(-1);
      return;
    }
    const bytes = Buffer.from(value, 'utf8');
    // eslint-disable-next-line no-control-regex
    const level = /^[\x00-\x7f]*$/.test(value) ? ASCII_MASK : UTF8_MASK;
    this.int(CHARSXP | (level << 12));
    this.int(bytes.length);
    this.bytes(bytes);
  }

  /** A symbol seen for the first time (each is used once here, so no back-reference). */
  symbol(name: string): void {
    this.int(SYMSXP);
    this.string(name);
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

// Case-insensitive first, as a listing reads; byte order breaks ties so the order is total.
function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
