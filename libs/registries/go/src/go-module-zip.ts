import { InvalidArtifactError, OpenRange, readZipEntry } from '@wharf/packages-core';
import { MAX_GO_MOD, MAX_MODULE_ZIP } from './go.metadata';

/*
 * Reads an uploaded module zip (docs/protocols/go.md §3) through core's zip reader, by
 * byte ranges of the staged blob: the central directory names every entry, and only
 * go.mod is inflated. The rules are those the go command applies before it extracts a
 * module zip (go.dev/ref/mod "Module zip files"), so nothing is stored that `go get`
 * would refuse: every entry under one `{module}@{version}/` prefix, clean relative file
 * paths, no two names that fold to the same case, go.mod only at the module root, at
 * most 500 MiB unpacked (a bomb is refused from its directory, before any inflating).
 */

export interface ModuleZip {
  /** As spelled in the entries' prefix; checked by the caller. */
  path: string;
  version: string;
  /** The root go.mod, when the zip has one. */
  goMod?: Buffer;
}

// Letters (any script), digits and this punctuation, as Go allows in file names of a module.
const FILE_ELEMENT = /^[\p{L}0-9!#$%&()+,\-.=@[\]^_{}~ ]+$/u;
const WINDOWS_RESERVED = /^(?:con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

const quote = (name: string) => JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name);

/** The module, version and go.mod of a module zip, or an InvalidArtifactError saying what breaks the layout. */
export async function readModuleZip(open: OpenRange, size: number): Promise<ModuleZip> {
  let found: { prefix: string; path: string; version: string } | undefined;
  const seen = new Map<string, { name: string; dir: boolean }>();
  const goMod = await readZipEntry(
    open,
    size,
    (name) => {
      found ??= prefixOf(name);
      if (!name.startsWith(found.prefix))
        throw new InvalidArtifactError(
          `zip entry ${quote(name)} is not under ${quote(found.prefix)}: every entry of a module zip is under {module}@{version}/`,
        );
      const rest = name.slice(found.prefix.length);
      if (rest === '') return false;
      const dir = rest.endsWith('/');
      const file = dir ? rest.slice(0, -1) : rest;
      checkFilePath(name, file);
      recordName(seen, file, dir);
      if (!dir && file.split('/').at(-1)!.toLowerCase() === 'go.mod' && file !== 'go.mod')
        throw new InvalidArtifactError(
          `zip entry ${quote(name)}: go.mod must be spelled in lower case and be at the module root (a nested module is its own upload)`,
        );
      return !dir && file === 'go.mod';
    },
    { maxEntrySize: MAX_GO_MOD, maxUnpacked: MAX_MODULE_ZIP },
  );
  if (!found) throw new InvalidArtifactError('the zip archive is empty: it holds no module');
  return { path: found.path, version: found.version, ...(goMod ? { goMod } : {}) };
}

/** `{module}@{version}/` of the first entry. */
function prefixOf(name: string) {
  const at = name.indexOf('@');
  const slash = at < 0 ? -1 : name.indexOf('/', at);
  if (at <= 0 || slash < 0)
    throw new InvalidArtifactError(
      `zip entry ${quote(name)} is not under {module}@{version}/: lay the zip out as the go command does (e.g. example.com/mod@v1.0.0/go.mod)`,
    );
  return {
    prefix: name.slice(0, slash + 1),
    path: name.slice(0, at),
    version: name.slice(at + 1, slash),
  };
}

/** A file path inside the module: clean, relative, each element of Go's file-name characters. */
function checkFilePath(entry: string, file: string): void {
  const fail = (why: string): never => {
    throw new InvalidArtifactError(`zip entry ${quote(entry)}: ${why}`);
  };
  for (const element of file.split('/')) {
    if (element === '' || element === '.' || element === '..')
      fail('the path is not clean (empty, "." or ".." elements)');
    if (/^\.+$/.test(element)) fail(`"${element}" is not a file name`);
    if (element.endsWith('.')) fail(`"${element}" ends with a dot`);
    if (!FILE_ELEMENT.test(element)) fail(`"${element}" has a character Go refuses in file names`);
    if (WINDOWS_RESERVED.test(element.split('.')[0]))
      fail(`"${element}" is a device name on Windows`);
  }
}

/** Refuses a second entry of the same name in any case, and a name that is both a file and a directory. */
function recordName(
  seen: Map<string, { name: string; dir: boolean }>,
  file: string,
  dir: boolean,
): void {
  const record = (name: string, isDir: boolean) => {
    const key = name.toLowerCase();
    const before = seen.get(key);
    if (!before) return void seen.set(key, { name, dir: isDir });
    if (before.name !== name)
      throw new InvalidArtifactError(
        `zip entries ${quote(before.name)} and ${quote(name)} differ only in case: they collide on case-insensitive file systems`,
      );
    if (before.dir !== isDir)
      throw new InvalidArtifactError(`zip entry ${quote(name)} is both a file and a directory`);
    if (!isDir) throw new InvalidArtifactError(`zip has more than one entry for ${quote(name)}`);
  };
  const parts = file.split('/');
  for (let i = 1; i < parts.length; i++) record(parts.slice(0, i).join('/'), true);
  record(file, dir);
}
