import { InvalidArtifactError } from '@wharf/packages-core';

/*
 * NuGet versions (docs/protocols/nuget.md §3): one to four dotted numbers, an optional
 * SemVer 2 pre-release label and optional build metadata, as NuGet's `NuGetVersion`
 * parses them. Stored, compared and served in NuGet's normalised form
 * (https://learn.microsoft.com/nuget/concepts/package-versioning#normalized-version-numbers):
 * leading zeros dropped, always three numbers, the fourth only when it is not zero,
 * build metadata dropped.
 */

export interface NuGetVersion {
  /** Major, minor, patch, revision. */
  numbers: [number, number, number, number];
  /** Dot-separated pre-release identifiers; empty for a release. */
  release: string[];
}

const VERSION_PATTERN =
  /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;
// NuGet reads each number as a .NET Int32.
const MAX_PART = 2 ** 31 - 1;

/** Parses a version as NuGet does; undefined when NuGet would refuse it. */
export function parseNuGetVersion(text: string): NuGetVersion | undefined {
  const match = VERSION_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const numbers = [1, 2, 3, 4].map((i) => Number(match[i] ?? '0'));
  if (numbers.some((n) => !Number.isSafeInteger(n) || n > MAX_PART)) return undefined;
  return {
    numbers: numbers as NuGetVersion['numbers'],
    release: match[5] ? match[5].split('.') : [],
  };
}

/** `1.0` → `1.0.0`, `1.00.3.0` → `1.0.3`, `1.0.0-rc.1+r12` → `1.0.0-rc.1`; refuses what NuGet refuses. */
export function normalizeNuGetVersion(text: string): string {
  const version = parseNuGetVersion(text);
  if (!version)
    throw new InvalidArtifactError(
      `invalid version "${text.slice(0, 100)}": NuGet versions are 1 to 4 dotted numbers, an optional -prerelease label and optional +build metadata (e.g. 1.2.3-beta.1)`,
    );
  return formatNuGetVersion(version);
}

export function formatNuGetVersion({ numbers, release }: NuGetVersion): string {
  const [major, minor, patch, revision] = numbers;
  const base = `${major}.${minor}.${patch}${revision ? `.${revision}` : ''}`;
  return release.length ? `${base}-${release.join('.')}` : base;
}

/** NuGet's ordering: numbers, then a release after its pre-releases, then labels as SemVer 2 (case-insensitive). */
export function compareNuGetVersions(a: NuGetVersion, b: NuGetVersion): number {
  for (let i = 0; i < 4; i++) if (a.numbers[i] !== b.numbers[i]) return a.numbers[i] - b.numbers[i];
  if (!a.release.length || !b.release.length) return b.release.length - a.release.length;
  for (let i = 0; i < Math.min(a.release.length, b.release.length); i++) {
    const order = compareIdentifier(a.release[i], b.release[i]);
    if (order) return order;
  }
  return a.release.length - b.release.length;
}

function compareIdentifier(a: string, b: string): number {
  const numeric = (s: string) => /^\d+$/.test(s);
  if (numeric(a) && numeric(b)) return Number(a) - Number(b);
  if (numeric(a) !== numeric(b)) return numeric(a) ? -1 : 1;
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorts stored version strings in NuGet's order (unparseable ones last, as given). */
export function sortNuGetVersions<T>(items: T[], versionOf: (item: T) => string): T[] {
  const parsed = items.map((item) => ({ item, v: parseNuGetVersion(versionOf(item)) }));
  return parsed
    .sort((x, y) => (x.v && y.v ? compareNuGetVersions(x.v, y.v) : x.v ? -1 : y.v ? 1 : 0))
    .map((p) => p.item);
}

export function isPrerelease(version: string): boolean {
  return (parseNuGetVersion(version)?.release.length ?? 0) > 0;
}
