import { InvalidArtifactError } from '@wharf/packages-core';

/*
 * Composer's version rules (composer/semver `VersionParser::normalize`, `normalizeBranch`
 * and `parseStability`; docs/protocols/composer.md §3), so a version Wharf accepts is one
 * Composer reads the same way: `v1.2` and `1.2.0` are both 1.2.0.0 and so one version;
 * `dev-main` and `2.x-dev` are development versions, served in `~dev.json`.
 */

const MODIFIER = String.raw`[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`;
const CLASSICAL = new RegExp(String.raw`^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?${MODIFIER}$`, 'i');
const DATE_BASED = new RegExp(
  String.raw`^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)${MODIFIER}$`,
  'i',
);
const NUMERIC_BRANCH = /^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$/i;

/**
 * The normalized form of a version (`1.0.3` → `1.0.3.0`, `v2.0-beta1` → `2.0.0.0-beta1`,
 * `2.x-dev` → `2.9999999.9999999.9999999-dev`, `dev-main` stays), or an
 * InvalidArtifactError naming the version when Composer would refuse it too. Aliases
 * (`1.0 as 2.0`) and stability flags (`@dev`) belong to constraints, not to a published
 * version, and are refused.
 */
export function normalizeComposerVersion(input: string): string {
  const version = input.trim();
  const invalid = () =>
    new InvalidArtifactError(
      `package version is invalid: "${version.slice(0, 100)}" is not a version Composer reads (e.g. 1.0.3, v2.1.0-beta1, dev-main, 2.x-dev)`,
    );
  if (!version || /[\s,@]/.test(version)) throw invalid();
  if (['master', 'trunk', 'default'].includes(version)) return `dev-${version}`;
  if (version.toLowerCase().startsWith('dev-'))
    return version.length > 4 ? `dev-${version.slice(4)}` : fail(invalid);
  // Build metadata (`+sha.1`) does not take part in the comparison.
  const withoutBuild = /^([^,\s+]+)\+\S+$/.exec(version)?.[1] ?? version;
  const classical = CLASSICAL.exec(withoutBuild);
  if (classical) {
    const core =
      classical[1] + (classical[2] || '.0') + (classical[3] || '.0') + (classical[4] || '.0');
    return withModifiers(core, classical.slice(5));
  }
  const dated = DATE_BASED.exec(withoutBuild);
  if (dated) return withModifiers(dated[1].replace(/\D/g, '.'), dated.slice(2));
  const branch = /^(.*?)[.-]?dev$/i.exec(withoutBuild);
  if (branch) {
    const numeric = NUMERIC_BRANCH.exec(branch[1].trim());
    // A `-dev` suffix is a version only on a numeric branch (`2.x-dev`); `foo-dev` is not.
    if (numeric) {
      const parts = [1, 2, 3, 4].map((i) =>
        numeric[i] === undefined ? '.x' : numeric[i].replace(/[*X]/g, 'x'),
      );
      return `${parts.join('').replace(/x/g, '9999999')}-dev`;
    }
  }
  throw invalid();
}

function fail(error: () => Error): never {
  throw error();
}

/** The stability suffix Composer appends: `-beta1`, `-RC2`, `-patch1`, then `-dev`. */
function withModifiers(core: string, [stability, number, dev]: (string | undefined)[]): string {
  let version = core;
  if (stability) {
    // Composer compares `stable` case-sensitively here: `1.0-STABLE` keeps its suffix.
    if (stability === 'stable') return version;
    version += `-${expandStability(stability)}${number ? number.replace(/^[.-]+/, '') : ''}`;
  }
  if (dev) version += '-dev';
  return version;
}

function expandStability(stability: string): string {
  const lower = stability.toLowerCase();
  switch (lower) {
    case 'a':
      return 'alpha';
    case 'b':
      return 'beta';
    case 'p':
    case 'pl':
      return 'patch';
    case 'rc':
      return 'RC';
    default:
      return lower;
  }
}

/**
 * True for a development version as Composer classes one (`parseStability` = dev): a
 * branch (`dev-main`) or a numeric branch (`2.x-dev`, `1.0.0-dev`). These go to
 * `p2/{name}~dev.json`, tagged releases (stable, RC, beta, alpha) to `p2/{name}.json`.
 */
export function isDevVersion(normalized: string): boolean {
  return normalized.startsWith('dev-') || normalized.endsWith('-dev');
}
