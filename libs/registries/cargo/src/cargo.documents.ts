import type { CargoDependency, CargoVersionMetadata } from './cargo.metadata';

/*
 * Pure builders of what the cargo routes serve (docs/protocols/cargo.md §4): config.json,
 * the sparse index file of one crate, and the web API's JSON bodies.
 */

/** `config.json`: cargo appends `/{crate}/{version}/download` to `dl` (no markers in it). */
export function buildConfig(base: string, authRequired: boolean): Record<string, unknown> {
  return { dl: `${base}/api/v1/crates`, api: base, 'auth-required': authRequired };
}

/** One version, as the index file needs it. */
export interface IndexedVersion {
  metadata: CargoVersionMetadata;
  /** sha256 (hex) of the .crate. */
  cksum: string;
  yanked: boolean;
}

/** One line of the index (cargo's `IndexPackage`), field order as crates.io writes it. */
export interface IndexLine {
  name: string;
  vers: string;
  deps: CargoDependency[];
  cksum: string;
  features: Record<string, string[]>;
  features2?: Record<string, string[]>;
  yanked: boolean;
  links?: string;
  rust_version?: string;
  v?: number;
}

/** The index file of a crate: one JSON line per version, newline-terminated, in the order given. */
export function buildIndexFile(versions: IndexedVersion[]): string {
  return versions.map((v) => `${JSON.stringify(indexLine(v))}\n`).join('');
}

export function indexLine({ metadata: m, cksum, yanked }: IndexedVersion): IndexLine {
  const { features, features2 } = splitFeatures(m.features);
  return {
    name: m.name,
    vers: m.vers,
    // deps[].features is always a list: cargo's index parser refuses null there.
    deps: m.deps.map((d) => ({ ...d, features: d.features ?? [] })),
    cksum,
    features,
    ...(features2 && { features2 }),
    yanked,
    ...(m.links && { links: m.links }),
    ...(m.rust_version && { rust_version: m.rust_version }),
    // Schema 2 where features2 is used: cargo before 1.60 skips those lines instead of misreading them.
    ...(features2 && { v: 2 }),
  };
}

/**
 * Splits features as crates.io does: those using the `dep:` or `?/` syntax go into
 * `features2`, so that cargo before 1.60, which cannot read them, skips the version.
 */
export function splitFeatures(all: Record<string, string[]>): {
  features: Record<string, string[]>;
  features2?: Record<string, string[]>;
} {
  const features: Record<string, string[]> = {};
  const features2: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(all ?? {})) {
    const extended = values.some((v) => v.startsWith('dep:') || v.includes('?/'));
    (extended ? features2 : features)[name] = values;
  }
  return Object.keys(features2).length ? { features, features2 } : { features };
}

/** A search hit (`cargo search`). */
export interface SearchHit {
  name: string;
  max_version: string;
  description: string;
}

export function buildSearch(crates: SearchHit[], total: number): Record<string, unknown> {
  return { crates, meta: { total } };
}

/** The answer to a publish: crates.io's warnings object, all empty. */
export const PUBLISH_RESPONSE = {
  warnings: { invalid_categories: [], invalid_badges: [], other: [] },
} as const;

/** The answer to yank and unyank. */
export const OK_RESPONSE = { ok: true } as const;

export function buildOwners(owner: { id: number; name: string; fullName?: string | null }) {
  return { users: [{ id: owner.id, login: owner.name, name: owner.fullName || owner.name }] };
}
