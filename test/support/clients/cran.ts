import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { ArchiveEntry, ArchiveFormat, composerArchive } from './composer';

/**
 * R's own tools (Debian's `r-base-core`: R, Rscript), sandboxed in a scratch HOME and
 * library, and R package archives for the HTTP tests — real ones from `R CMD build`, and
 * hand-made ones (hostile names, bombs) through the shared archive builder.
 */

export interface RTools {
  available: boolean;
  missing: string;
}

export function findRTools(): RTools {
  const absent = ['R', 'Rscript'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0,
  );
  return {
    available: absent.length === 0,
    missing: `${absent.join(', ')} (apt-get install r-base-core)`,
  };
}

/** An environment that reads no user or site profile and writes nothing outside `home`. */
export function rEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    TMPDIR: home,
    R_LIBS_USER: path.join(home, 'lib'),
    R_LIBS_SITE: '',
    R_PROFILE_USER: path.join(home, 'no-profile'),
    R_ENVIRON_USER: path.join(home, 'no-environ'),
    LANG: 'C.UTF-8',
    ...extra,
  };
}

/** A scratch HOME with an empty library; commands run asynchronously (the server shares the process). */
export class RSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-cran-'));
  readonly lib = path.join(this.home, 'lib');

  constructor() {
    mkdirSync(this.lib);
  }

  run(cmd: string, args: string[], cwd = this.home): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(cmd, args, { cwd, timeout: 180_000, env: rEnv(this.home) }, (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          out: `${stdout}${stderr}`,
        }),
      );
    });
  }

  /** `Rscript --vanilla -e <expr>`. */
  rscript(expr: string): Promise<{ code: number; out: string }> {
    return this.run('Rscript', ['--vanilla', '-e', expr]);
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The DESCRIPTION of a small package (more fields appended as given). */
export function descriptionText(name: string, version: string, extra = ''): string {
  return (
    `Package: ${name}\nVersion: ${version}\nTitle: A Package Made by the Test\n` +
    `Description: Says hello, for Wharf's tests.\nAuthor: Wharf Tests\n` +
    `Maintainer: Wharf Tests <tests@example.com>\nLicense: MIT\n${extra}`
  );
}

/**
 * `R CMD build` of a package `name` exporting `hello()`, which returns `greeting`; returns
 * the path of `{name}_{version}.tar.gz`.
 */
export function buildRPackage(
  dir: string,
  opts: { name: string; version: string; greeting?: string; description?: string },
): string {
  const src = path.join(dir, `${opts.name}-${opts.version}-src`, opts.name);
  mkdirSync(path.join(src, 'R'), { recursive: true });
  writeFileSync(
    path.join(src, 'DESCRIPTION'),
    opts.description ?? descriptionText(opts.name, opts.version),
  );
  writeFileSync(path.join(src, 'NAMESPACE'), 'export(hello)\n');
  const greeting = opts.greeting ?? `hello from ${opts.name} ${opts.version}`;
  writeFileSync(
    path.join(src, 'R', 'hello.R'),
    `hello <- function() ${JSON.stringify(greeting)}\n`,
  );
  const out = path.dirname(src);
  execFileSync('R', ['CMD', 'build', '--no-manual', '--no-build-vignettes', opts.name], {
    cwd: out,
    env: rEnv(dir),
    stdio: 'pipe',
  });
  return path.join(out, `${opts.name}_${opts.version}.tar.gz`);
}

/** A hand-made package archive: `{name}/DESCRIPTION` with `description`, plus `more` entries. */
export function rPackageArchive(
  dir: string,
  description: string,
  format: ArchiveFormat = 'tar.gz',
  more: ArchiveEntry[] = [],
): Buffer {
  return composerArchive(
    [
      { name: `${dir}/DESCRIPTION`, text: description },
      { name: `${dir}/NAMESPACE`, text: '' },
      ...more,
    ],
    format,
  );
}

/**
 * A tar bomb: `{name}/DESCRIPTION`, then a header declaring a 2 GiB entry followed by
 * concatenated gzip members of 64 MiB of zeros each (one valid gzip stream), about 1.1 GiB
 * unpacked from about 1 MiB sent.
 */
export async function rTarBomb(name: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  const head: Buffer[] = [];
  pack.on('data', (c: unknown) => head.push(c as Buffer));
  pack.entry({ name: `${name}/DESCRIPTION` }, descriptionText(name, version));
  pack.entry({ name: `${name}/data/zeros`, size: 2 * 1024 ** 3 });
  await new Promise((r) => setImmediate(r));
  const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024));
  return Buffer.concat([gzipSync(Buffer.concat(head)), ...Array<Buffer>(17).fill(zeros)]);
}

/** A small source package made in process (no R, no Python): benches push thousands. */
export async function rSourceTarball(name: string, version: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: `${name}/DESCRIPTION` }, descriptionText(name, version, 'Imports: utils\n'));
  pack.entry({ name: `${name}/NAMESPACE` }, 'export(hello)\n');
  pack.entry({ name: `${name}/R/hello.R` }, 'hello <- function() "hello"\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
