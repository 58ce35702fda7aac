import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One entry of an archive built for a test. */
export interface ArchiveEntry {
  name: string;
  text?: string;
  /** Binary content, base64-encoded. */
  base64?: string;
  /** That many zero bytes, written in chunks (a bomb without holding it in memory). */
  zeros?: number;
  /** A symbolic link to `linkname` (tar only). */
  linkname?: string;
}

export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz' | 'tar.bz2' | 'tar.xz';

// Python's zipfile and tarfile, as `composer archive` and GitHub's archives write them:
// real zips (deflated) and ustar/pax tars, any entry name (`../evil` included).
const BUILD = String.raw`
import base64, io, json, sys, tarfile, zipfile
spec = json.load(sys.stdin)
out = io.BytesIO()
fmt = spec["format"]
def chunks(n):
  while n > 0:
    k = min(n, 1 << 20); n -= k; yield b"\0" * k
if fmt == "zip":
  with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for e in spec["entries"]:
      if "zeros" in e:
        info = zipfile.ZipInfo(e["name"]); info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as w:
          for c in chunks(e["zeros"]): w.write(c)
      elif "base64" in e:
        z.writestr(e["name"], base64.b64decode(e["base64"]))
      else:
        z.writestr(e["name"], e.get("text", ""))
else:
  mode = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}[fmt]
  with tarfile.open(fileobj=out, mode=mode, format=tarfile.PAX_FORMAT) as t:
    for e in spec["entries"]:
      info = tarfile.TarInfo(e["name"]); info.mode = 0o644
      if "linkname" in e:
        info.type = tarfile.SYMTYPE; info.linkname = e["linkname"]; t.addfile(info)
      elif "zeros" in e:
        class Zeros(io.RawIOBase):
          def __init__(self, n): self.left = n
          def readable(self): return True
          def readinto(self, b):
            k = min(len(b), self.left); b[:k] = b"\0" * k; self.left -= k; return k
        info.size = e["zeros"]; t.addfile(info, io.BufferedReader(Zeros(e["zeros"])))
      else:
        data = e.get("text", "").encode(); info.size = len(data); t.addfile(info, io.BytesIO(data))
sys.stdout.buffer.write(out.getvalue())
`;

/** A zip or tar of `entries`, built with Python's zipfile/tarfile. */
export function composerArchive(entries: ArchiveEntry[], format: ArchiveFormat = 'zip'): Buffer {
  const res = spawnSync('python3', ['-c', BUILD], {
    input: JSON.stringify({ entries, format }),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`python3 archive build failed: ${res.stderr.toString()}`);
  return res.stdout;
}

/** composer.json of a PSR-4 library `vendor/lib` whose classes live under `src/` in `namespace`. */
export function libraryComposerJson(
  name: string,
  extra: Record<string, unknown> = {},
  namespace = 'Acme\\Greeter\\',
): string {
  return JSON.stringify(
    {
      name,
      description: `The ${name} test library`,
      type: 'library',
      license: 'MIT',
      authors: [{ name: 'Wharf Tests', email: 'tests@example.com' }],
      require: { php: '>=7.4' },
      autoload: { 'psr-4': { [namespace]: 'src/' } },
      ...extra,
    },
    null,
    2,
  );
}

/** The files of a library: composer.json and a PSR-4 class `Acme\Greeter\Greeter` saying `greeting`. */
export function libraryEntries(
  name: string,
  greeting: string,
  extra: Record<string, unknown> = {},
  prefix = '',
): ArchiveEntry[] {
  return [
    { name: `${prefix}composer.json`, text: libraryComposerJson(name, extra) },
    {
      name: `${prefix}src/Greeter.php`,
      text: `<?php\nnamespace Acme\\Greeter;\n\nfinal class Greeter\n{\n    public static function greet(string $who): string\n    {\n        return '${greeting}, ' . $who;\n    }\n}\n`,
    },
    { name: `${prefix}README.md`, text: `# ${name}\n` },
  ];
}

/** composer and php from Debian (`apt-get install composer php-cli`), with zip support for dists. */
export function findComposer(): { available: boolean; missing: string } {
  const composer = spawnSync('composer', ['--version', '--no-ansi'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, HOME: os.tmpdir(), COMPOSER_HOME: os.tmpdir() },
  });
  if (composer.status !== 0)
    return { available: false, missing: "composer (Debian's composer and php-cli packages)" };
  const zip = spawnSync('php', ['-r', 'exit(class_exists("ZipArchive") ? 0 : 1);']);
  const unzip = spawnSync('unzip', ['-v']);
  if (zip.status !== 0 && unzip.status !== 0)
    return { available: false, missing: 'php-zip or unzip (Composer unpacks zip dists with one)' };
  return { available: true, missing: '' };
}

/** A scratch HOME and COMPOSER_HOME, so no global config, auth.json or cache of the machine is used. */
export class ComposerSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-composer-'));

  run(
    args: string[],
    cwd: string,
    env: Record<string, string> = {},
    cmd = 'composer',
  ): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        {
          cwd,
          timeout: 180_000,
          env: {
            PATH: process.env.PATH!,
            HOME: this.home,
            COMPOSER_HOME: path.join(this.home, '.composer'),
            COMPOSER_CACHE_DIR: path.join(this.home, '.composer-cache'),
            COMPOSER_NO_INTERACTION: '1',
            COMPOSER_DISABLE_XDEBUG_WARN: '1',
            ...env,
          },
        },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          }),
      );
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
