import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/*
 * conda packages built as conda-build and conda-package-handling (`cph`) build them:
 *  - `.tar.bz2` (v1): one bzip2 tar of the payload and info/ (conda_package_handling/tarball.py);
 *  - `.conda` (v2): a zip, stored not deflated, of metadata.json
 *    (`{"conda_pkg_format_version": 2}`), pkg-{stem}.tar.zst and info-{stem}.tar.zst
 *    (conda_package_handling/conda_fmt.py), each tar made here by GNU tar and /usr/bin/zstd.
 */

export interface CondaPackageOptions {
  /** info/index.json; name, version and build also make the file name. */
  index: Record<string, unknown>;
  about?: Record<string, unknown>;
  /** Leave info/index.json out. */
  noIndex?: boolean;
  /** Payload files, path → content. */
  files?: Record<string, string | Buffer>;
}

/** The default index.json of a noarch package, as conda-build writes one. */
export function condaIndex(
  name: string,
  version: string,
  more: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    version,
    build: 'py_0',
    build_number: 0,
    depends: [],
    license: 'MIT',
    noarch: 'python',
    subdir: 'noarch',
    timestamp: 1700000000000,
    ...more,
  };
}

/** The file name conda gives a package: `{name}-{version}-{build}{suffix}`. */
export function condaFileName(index: Record<string, unknown>, suffix: '.tar.bz2' | '.conda') {
  return `${String(index.name)}-${String(index.version)}-${String(index.build)}${suffix}`;
}

function stage(dir: string, o: CondaPackageOptions) {
  mkdirSync(path.join(dir, 'info'), { recursive: true });
  if (!o.noIndex) writeFileSync(path.join(dir, 'info/index.json'), JSON.stringify(o.index));
  if (o.about) writeFileSync(path.join(dir, 'info/about.json'), JSON.stringify(o.about));
  const files = o.files ?? { 'site-packages/demo/__init__.py': `VALUE = ${Math.random()}\n` };
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), body);
  }
  return Object.keys(files).map((f) => f.split('/')[0]);
}

/** A v1 `.tar.bz2` package. */
export function buildTarBz2(o: CondaPackageOptions): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-conda-'));
  try {
    const top = [...new Set(stage(dir, o))];
    execFileSync('tar', ['-cjf', 'out.tar.bz2', 'info', ...top], { cwd: dir });
    return readFileSync(path.join(dir, 'out.tar.bz2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A v2 `.conda` package. */
export function buildConda(o: CondaPackageOptions & { noInfoMember?: boolean }): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-conda-'));
  try {
    const top = [...new Set(stage(dir, o))];
    const stem = condaFileName(o.index, '.conda').slice(0, -'.conda'.length);
    const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { cwd: dir });
    sh(`tar -cf - ${top.join(' ')} | zstd -q -19 > "pkg-${stem}.tar.zst"`);
    sh(`tar -cf - info | zstd -q -19 > "info-${stem}.tar.zst"`);
    writeFileSync(path.join(dir, 'metadata.json'), '{"conda_pkg_format_version": 2}');
    const members = ['metadata.json', `pkg-${stem}.tar.zst`];
    if (!o.noInfoMember) members.push(`info-${stem}.tar.zst`);
    execFileSync('zip', ['-q', '-0', 'out.conda', ...members], { cwd: dir });
    return readFileSync(path.join(dir, 'out.conda'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `.tar.bz2` whose first entry unpacks to `megabytes` of zeros, before info/index.json. */
export function bz2Bomb(megabytes: number, index: Record<string, unknown>): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-conda-'));
  try {
    mkdirSync(path.join(dir, 'info'));
    execFileSync('sh', ['-c', `head -c ${megabytes}M /dev/zero > aaa-zeros`], { cwd: dir });
    writeFileSync(path.join(dir, 'info/index.json'), JSON.stringify(index));
    execFileSync('tar', ['-cjf', 'out.tar.bz2', 'aaa-zeros', 'info'], { cwd: dir });
    return readFileSync(path.join(dir, 'out.tar.bz2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
