import semver from 'semver';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

/** `2026-12-06 15:20 UTC`: one unambiguous form, no client-side script needed. */
export function formatTime(unix: number): string {
  return `${new Date(unix * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function isoTime(unix: number): string {
  return new Date(unix * 1000).toISOString();
}

// Outside semver: Python's a/b/rc/dev, Maven's -SNAPSHOT, alpha/beta/preview spelled out.
const PRE_RELEASE = /(^|[.\-_+\d])(alpha|beta|rc|pre|preview|dev|snapshot|a|b)(\d|[.\-_]|$)/i;

/** Is this version a pre-release (semver pre-release part, or a common pre-release word)? */
export function isPreRelease(version: string): boolean {
  const parsed = semver.parse(version, { loose: true });
  if (parsed) return parsed.prerelease.length > 0;
  return PRE_RELEASE.test(version);
}
