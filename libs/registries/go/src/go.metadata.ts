import { checkName, InvalidArtifactError, NameGrammar } from '@wharf/packages-core';

/*
 * Pure rules of Go modules (docs/protocols/go.md §3, §8): the module path and version
 * grammars (go.dev/ref/mod "Module paths", "Versions", "Major version suffixes"), the
 * `!` case encoding of proxy URLs ("Module proxies" → "Escaped paths"), the `module`
 * directive of a go.mod, and the ordering of versions the `@latest` answer needs.
 */

/** Version property: the go.mod text served at `@v/{version}.mod`, as Forgejo stores it. */
export const GO_MOD_PROPERTY = 'go.mod';

/** Go's own bounds: a module zip and its unpacked content at most 500 MiB, go.mod at most 16 MiB (golang.org/x/mod/zip). */
export const MAX_MODULE_ZIP = 500 * 1024 * 1024;
export const MAX_GO_MOD = 16 * 1024 * 1024;

/**
 * A module path as names go through core: ASCII letters, digits and `-._~`, elements
 * separated by `/`. Go's further rules (a dot in the first element, no upper case there,
 * the major version suffix…) are {@link moduleProblem}'s.
 */
export const MODULE_PATH: NameGrammar = {
  what: 'module path',
  pattern: /^[A-Za-z0-9._~-]+$/,
  rule: "ASCII letters, digits, '-', '.', '_' and '~' between '/'",
  allowSlash: true,
};

/** A canonical module version: `v` + semver, no build metadata but `+incompatible`. */
export const MODULE_VERSION: NameGrammar = {
  what: 'module version',
  pattern:
    /^v(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+incompatible)?$/,
  rule: "a canonical semantic version with a 'v' (v1.2.3, v1.2.3-pre.1, v0.0.0-20240101120000-abcdef123456, v2.0.0+incompatible)",
  maxLength: 128,
};

// Names Windows reserves whatever follows the first dot (golang.org/x/mod/module, "badWindowsNames").
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/**
 * What is wrong with `path` as a module path by Go's rules, or undefined. The shape:
 * the first element a host name (lower-case letters, digits, `-` and `.`, with a dot, not
 * starting with `-`); no element empty, all dots, starting or ending with a dot, named
 * like a Windows device or ending in `~` and digits (an 8.3 short name); a trailing
 * `/vN` must have N ≥ 2 without leading zeros, and `gopkg.in/` paths end in `.vN`.
 */
export function moduleProblem(path: string): string | undefined {
  if (!/^[A-Za-z0-9._~/-]+$/.test(path))
    return "it may only hold ASCII letters, digits, '-', '.', '_', '~' and '/'";
  const elements = path.split('/');
  const first = elements[0];
  if (!first) return 'it starts with a slash';
  if (first.startsWith('-')) return 'its first element starts with a dash';
  if (!first.includes('.'))
    return `its first element "${first}" has no dot (it must be a host name)`;
  if (!/^[a-z0-9.-]+$/.test(first))
    return `its first element "${first}" may only hold lower-case letters, digits, '-' and '.'`;
  for (const element of elements) {
    if (!element) return 'it has an empty element (a double or trailing slash)';
    if (/^\.+$/.test(element)) return `"${element}" is not a path element`;
    if (element.startsWith('.') || element.endsWith('.'))
      return `element "${element}" starts or ends with a dot`;
    const short = element.split('.')[0];
    if (WINDOWS_RESERVED.test(short)) return `element "${element}" is a device name on Windows`;
    if (/~[0-9]+$/.test(short)) return `element "${element}" looks like a Windows short name`;
  }
  if (majorSuffix(path) === null) return 'its major version suffix is not /v2 or above';
  return undefined;
}

/**
 * The major version a path's suffix pins: `2` for `…/v2`, `0`…`n` for `gopkg.in/x.vN`,
 * undefined for a path without one, null for a malformed suffix (`/v1`, `/v01`, `/v2.0`,
 * a gopkg.in path without `.vN`).
 */
export function majorSuffix(path: string): number | undefined | null {
  if (path.startsWith('gopkg.in/')) {
    const m = /\.v(0|[1-9][0-9]*)(?:-unstable)?$/.exec(path);
    return m ? Number(m[1]) : null;
  }
  const m = /\/v([0-9.]+)$/.exec(path);
  if (!m || m.index === 0) return undefined;
  if (!/^[1-9][0-9]*$/.test(m[1]) || m[1] === '1') return null;
  return Number(m[1]);
}

/** A module path from a body or a route, by core's grammar and then Go's rules; 400 when it breaks them. */
export function checkModulePath(path: string): string {
  checkName(path, MODULE_PATH);
  const problem = moduleProblem(path);
  if (problem) throw new InvalidArtifactError(`invalid module path "${path}": ${problem}`);
  return path;
}

/** A version from a body, canonical; 400 otherwise. */
export function checkModuleVersion(version: string): string {
  return checkName(version, MODULE_VERSION);
}

/**
 * A version must carry the major its path pins (go.dev/ref/mod "Major version suffixes"):
 * `…/v3` takes v3.x.y only; a path without a suffix takes v0 and v1, or v2+ only as
 * `+incompatible`, which in turn needs a major of 2 or more and no suffix.
 */
export function checkMajorVersion(path: string, version: string): void {
  const major = Number(/^v([0-9]+)/.exec(version)?.[1]);
  const incompatible = version.endsWith('+incompatible');
  const pinned = majorSuffix(path);
  const fail = (why: string): never => {
    throw new InvalidArtifactError(`version ${version} does not fit module ${path}: ${why}`);
  };
  if (incompatible && (pinned !== undefined || major < 2))
    fail('+incompatible is only for v2 and above of a module path without a /vN suffix');
  if (pinned === undefined || pinned === null) {
    if (major >= 2 && !incompatible)
      fail(`a v${major} module path must end in /v${major} (or the version be +incompatible)`);
    return;
  }
  // gopkg.in/x.v1 also serves pseudo-versions of v0 (Go's CheckPathMajor says so).
  if (path.startsWith('gopkg.in/') && pinned === 1 && version.startsWith('v0.0.0-')) return;
  if (major !== pinned) fail(`the path pins v${pinned}`);
}

/**
 * Undoes the proxy protocol's case encoding: `!x` stands for `X`, and nothing else may
 * follow a `!` nor may an upper-case letter appear unescaped. Undefined when `escaped`
 * breaks those rules (no module has such a URL).
 */
export function unescapeModuleText(escaped: string): string | undefined {
  if (/[A-Z]/.test(escaped)) return undefined;
  let broken = false;
  const plain = escaped.replace(/!(.?)/g, (_all, next: string) => {
    if (!/^[a-z]$/.test(next)) broken = true;
    return next.toUpperCase();
  });
  return broken ? undefined : plain;
}

/** The case encoding the go command applies: `X` → `!x`. */
export function escapeModuleText(plain: string): string {
  return plain.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
}

// vX.Y.Z-yyyymmddhhmmss-abcdefabcdef, vX.Y.Z-pre.0.yyyymmddhhmmss-…, vX.Y.(Z+1)-0.yyyymmddhhmmss-…
const PSEUDO =
  /^v[0-9]+\.[0-9]+\.[0-9]+-(?:.+\.)?(?:0\.)?[0-9]{14}-[A-Za-z0-9]+(?:\+incompatible)?$/;

/** A pseudo-version (go.dev/ref/mod "Pseudo-versions"): a commit, not a tagged release. */
export function isPseudoVersion(version: string): boolean {
  return PSEUDO.test(version);
}

/** Semver precedence of two canonical versions (build metadata such as `+incompatible` ignored). */
export function compareModuleVersions(a: string, b: string): number {
  const [coreA, preA] = splitVersion(a);
  const [coreB, preB] = splitVersion(b);
  for (let i = 0; i < 3; i++) if (coreA[i] !== coreB[i]) return coreA[i] < coreB[i] ? -1 : 1;
  if (!preA.length || !preB.length) return preB.length - preA.length;
  for (let i = 0; i < Math.min(preA.length, preB.length); i++) {
    const x = preA[i];
    const y = preB[i];
    if (x === y) continue;
    const nx = /^[0-9]+$/.test(x);
    const ny = /^[0-9]+$/.test(y);
    if (nx && ny) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (nx !== ny) return nx ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return preA.length - preB.length;
}

function splitVersion(version: string): [bigint[], string[]] {
  const plain = version.slice(1).replace(/\+.*$/, '');
  const dash = plain.indexOf('-');
  const core = (dash < 0 ? plain : plain.slice(0, dash)).split('.').map((n) => BigInt(n));
  return [core, dash < 0 ? [] : plain.slice(dash + 1).split('.')];
}

/**
 * The version `@latest` names (go.dev/ref/mod "Version queries": releases before
 * pre-releases before pseudo-versions, highest first; compatible before +incompatible).
 */
export function latestVersion(versions: readonly string[]): string | undefined {
  const rank = (v: string) =>
    (isPseudoVersion(v) ? 0 : v.includes('-') ? 2 : 4) + (v.endsWith('+incompatible') ? 0 : 1);
  let best: string | undefined;
  for (const v of versions) {
    if (best === undefined) best = v;
    else {
      const byRank = rank(v) - rank(best);
      if (byRank > 0 || (byRank === 0 && compareModuleVersions(v, best) > 0)) best = v;
    }
  }
  return best;
}

/**
 * The module path a go.mod declares (go.dev/ref/mod "module directive"): `module path`,
 * quoted or back-quoted, or the one line of a `module ( … )` block; comments ignored.
 */
export function goModModulePath(goMod: Buffer): string {
  const text = goMod.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(goMod))
    throw new InvalidArtifactError('go.mod is not valid UTF-8');
  const lines = text.split(/\r?\n/).map((l) => l.replace(/\/\/.*$/, '').trim());
  for (let i = 0; i < lines.length; i++) {
    const m = /^module(?:\s+(.*)|\s*\(\s*)$/.exec(lines[i]) ?? /^module\s*\((.*)\)$/.exec(lines[i]);
    if (!m) continue;
    let arg = m[1]?.trim() ?? '';
    if (!arg || arg === '(') {
      arg = lines.slice(i + 1).find((l) => l !== '') ?? '';
      if (arg === ')') arg = '';
    }
    return unquote(arg);
  }
  throw new InvalidArtifactError('go.mod has no module directive');
}

function unquote(arg: string): string {
  const bad = () => new InvalidArtifactError(`go.mod's module directive is malformed: ${arg}`);
  if (/^`[^`]*`$/.test(arg)) return arg.slice(1, -1);
  if (arg.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(arg);
      if (typeof value === 'string') return value;
    } catch {
      throw bad();
    }
    throw bad();
  }
  if (!arg || /\s/.test(arg)) throw bad();
  return arg;
}

/** The go.mod the proxy serves for a version whose zip has none (as the go command synthesises it). */
export function synthesizedGoMod(path: string): string {
  return `module ${path}\n`;
}
