import { isPseudoVersion } from './go.metadata';

/*
 * Pure builders of what the proxy serves (docs/protocols/go.md §4): the version list
 * and the version info JSON of go.dev/ref/mod "GOPROXY protocol".
 */

/** `@v/list`: one tagged version a line, in upload order; pseudo-versions are left out, as the protocol asks. */
export function buildVersionList(versions: readonly string[]): string {
  return versions
    .filter((v) => !isPseudoVersion(v))
    .map((v) => `${v}\n`)
    .join('');
}

/** `.info` / `@latest`: `{"Version","Time"}`, Time in RFC 3339 (UTC). */
export function buildVersionInfo(version: string, createdUnix: number): string {
  const time = new Date(createdUnix * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return JSON.stringify({ Version: version, Time: time });
}
