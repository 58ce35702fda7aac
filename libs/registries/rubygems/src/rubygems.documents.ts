import { deflateSync, gzipSync } from 'node:zlib';
import type { GemMetadata, GemRequirement } from './rubygems.metadata';
import { compareGemVersions, isPrerelease, RUBY_PLATFORM } from './rubygems.metadata';

/*
 * The legacy index documents `gem` reads (docs/protocols/rubygems.md §4): specs.4.8.gz and
 * its latest/prerelease siblings, quick/Marshal.4.8 gemspecs and the dependency API, all in
 * Ruby's Marshal 4.8 format, written by the small writer below (no Ruby on the server).
 */

/** A Ruby value as Marshal writes it; Strings are UTF-8. */
export type RubyValue =
  | null
  | boolean
  | number
  | string
  | RubyValue[]
  | { symbol: string }
  | { hash: [RubyValue, RubyValue][] }
  /** `U`: a class with marshal_dump (Gem::Version, Gem::Requirement). */
  | { userMarshal: string; value: RubyValue }
  /** `u`: a class with _dump (Gem::Specification): the class name and its bytes. */
  | { userDump: string; bytes: Buffer }
  /** `o`: a plain object and its instance variables (Gem::Dependency). */
  | { object: string; ivars: [string, RubyValue][] };

/** Marshal.dump of `value`: format 4.8, symbols written once and referenced after. */
export function marshal(value: RubyValue): Buffer {
  const writer = new MarshalWriter();
  writer.value(value);
  return Buffer.concat([Buffer.from([4, 8]), ...writer.chunks]);
}

class MarshalWriter {
  readonly chunks: Buffer[] = [];
  private readonly symbols = new Map<string, number>();

  value(v: RubyValue): void {
    if (v === null) return this.byte('0');
    if (v === true) return this.byte('T');
    if (v === false) return this.byte('F');
    if (typeof v === 'number') {
      this.byte('i');
      return this.long(v);
    }
    if (typeof v === 'string') {
      // A String with its encoding: `I` + raw bytes + one ivar, E = true (UTF-8).
      this.byte('I');
      this.raw('"', Buffer.from(v, 'utf8'));
      this.long(1);
      this.symbol('E');
      return this.byte('T');
    }
    if (Array.isArray(v)) {
      this.byte('[');
      this.long(v.length);
      return v.forEach((item) => this.value(item));
    }
    if ('symbol' in v) return this.symbol(v.symbol);
    if ('hash' in v) {
      this.byte('{');
      this.long(v.hash.length);
      return v.hash.forEach(([k, val]) => (this.value(k), this.value(val)));
    }
    if ('userMarshal' in v) {
      this.byte('U');
      this.symbol(v.userMarshal);
      return this.value(v.value);
    }
    if ('userDump' in v) {
      this.byte('u');
      this.symbol(v.userDump);
      this.long(v.bytes.length);
      return void this.chunks.push(v.bytes);
    }
    this.byte('o');
    this.symbol(v.object);
    this.long(v.ivars.length);
    for (const [name, val] of v.ivars) {
      this.symbol(name);
      this.value(val);
    }
  }

  private symbol(name: string): void {
    const index = this.symbols.get(name);
    if (index !== undefined) {
      this.byte(';');
      return this.long(index);
    }
    this.symbols.set(name, this.symbols.size);
    this.raw(':', Buffer.from(name, 'utf8'));
  }

  private raw(type: string, bytes: Buffer): void {
    this.byte(type);
    this.long(bytes.length);
    this.chunks.push(bytes);
  }

  private byte(type: string): void {
    this.chunks.push(Buffer.from(type, 'latin1'));
  }

  /** Marshal's w_long: small values in one byte, others as 1–4 little-endian bytes after their count. */
  private long(n: number): void {
    if (!Number.isInteger(n) || Math.abs(n) >= 2 ** 30)
      throw new RangeError(`${n} is not a Marshal fixnum`);
    if (n === 0) return void this.chunks.push(Buffer.from([0]));
    if (n > 0 && n < 123) return void this.chunks.push(Buffer.from([n + 5]));
    if (n < 0 && n > -124) return void this.chunks.push(Buffer.from([(n - 5) & 0xff]));
    const bytes: number[] = [];
    let rest = n;
    do {
      bytes.push(rest & 0xff);
      rest >>= 8;
    } while (n > 0 ? rest !== 0 : rest !== -1);
    this.chunks.push(Buffer.from([n > 0 ? bytes.length : 256 - bytes.length, ...bytes]));
  }
}

const gemVersion = (version: string): RubyValue => ({
  userMarshal: 'Gem::Version',
  value: [version],
});

const gemRequirement = (req: GemRequirement | undefined): RubyValue => ({
  userMarshal: 'Gem::Requirement',
  value: [(req?.length ? req : [['>=', '0']]).map(([op, v]) => [op, gemVersion(v)])],
});

/** One published gem as the indexes list it. */
export interface IndexedGem {
  metadata: GemMetadata;
  /** sha256 of the .gem, for the compact index. */
  sha256: string;
  createdUnix: number;
}

export type SpecsList = 'specs' | 'latest_specs' | 'prerelease_specs';

/**
 * specs.4.8.gz and siblings: gzip'd Marshal of `[[name, Gem::Version, platform], …]`.
 * `specs` holds every release, `prerelease_specs` every prerelease, `latest_specs` the
 * newest release per name and platform (RubyGems' Gem::Indexer).
 */
export function buildSpecsList(gems: IndexedGem[], list: SpecsList): Buffer {
  const wanted = gems
    .map((g) => g.metadata)
    .filter((m) => (list === 'prerelease_specs') === isPrerelease(m.version))
    .sort(
      (a, b) =>
        a.name.localeCompare(b.name) ||
        compareGemVersions(a.version, b.version) ||
        a.platform.localeCompare(b.platform),
    );
  let entries = wanted;
  if (list === 'latest_specs') {
    const newest = new Map<string, GemMetadata>();
    for (const m of wanted) newest.set(`${m.name}\0${m.platform}`, m);
    entries = [...newest.values()];
  }
  const body = marshal(entries.map((m) => [m.name, gemVersion(m.version), m.platform]));
  // Node writes mtime 0 in the gzip header, so the same list gives the same bytes (and ETag).
  return gzipSync(body);
}

/**
 * quick/Marshal.4.8/{full_name}.gemspec.rz: zlib'd Marshal of the Gem::Specification, its
 * `_dump` array in Gem::Specification._load's order (18 fields for specification_version 4;
 * index 10, the retired rubyforge_project, is an empty string as RubyGems writes it).
 */
export function buildQuickSpec(m: GemMetadata): Buffer {
  const dependencies: RubyValue[] = m.dependencies.map((d) => ({
    object: 'Gem::Dependency',
    ivars: [
      ['@name', d.name],
      ['@requirement', gemRequirement(d.requirement)],
      ['@type', { symbol: d.type }],
      ['@prerelease', false],
      ['@version_requirements', gemRequirement(d.requirement)],
    ],
  }));
  const fields: RubyValue[] = [
    m.rubygemsVersion ?? '3.3.15',
    4,
    m.name,
    gemVersion(m.version),
    // A String date is what Gem::Specification#date= parses; nil means today.
    m.date ?? null,
    m.summary ?? '',
    gemRequirement(m.requiredRubyVersion),
    gemRequirement(m.requiredRubygemsVersion),
    m.platform,
    dependencies,
    '',
    m.email?.length === 1 ? m.email[0] : (m.email ?? null),
    m.authors ?? [],
    m.description ?? null,
    m.homepage ?? null,
    true,
    m.platform,
    m.licenses ?? [],
    { hash: Object.entries(m.metadata ?? {}) },
  ];
  return deflateSync(marshal({ userDump: 'Gem::Specification', bytes: marshal(fields) }));
}

/** `/api/v1/dependencies?gems=…` (Bundler before the compact index): Marshal of hashes with symbol keys. */
export function buildDependencies(gems: GemMetadata[]): Buffer {
  const sym = (s: string): RubyValue => ({ symbol: s });
  return marshal(
    gems.map((m) => ({
      hash: [
        [sym('name'), m.name],
        [sym('number'), m.version],
        [sym('platform'), m.platform || RUBY_PLATFORM],
        [
          sym('dependencies'),
          m.dependencies
            .filter((d) => d.type === 'runtime')
            .map((d) => [d.name, requirementText(d.requirement, ', ')]),
        ],
      ],
    })),
  );
}

/** `>= 1.2.0<sep>< 2.0`; an empty requirement is `>= 0`. */
export function requirementText(req: GemRequirement | undefined, separator: string): string {
  return (req?.length ? req : [['>=', '0']]).map(([op, v]) => `${op} ${v}`).join(separator);
}
