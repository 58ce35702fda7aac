import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** How a test box is packed: as `vagrant package` does (gzip'd tar), or another archive bsdtar writes. */
export type BoxFormat = 'tar.gz' | 'tar' | 'tar.bz2' | 'tar.xz' | 'zip';

const BSDTAR_FLAGS: Record<BoxFormat, string[]> = {
  'tar.gz': ['-czf'],
  tar: ['-cf'],
  'tar.bz2': ['-cjf'],
  'tar.xz': ['-cJf'],
  zip: ['--format', 'zip', '-cf'],
};

/**
 * A box of `files`, packed with bsdtar as `vagrant package` packs one (`bsdtar -czf out
 * *` inside the box directory); Vagrant unpacks boxes with bsdtar too. By default the
 * box holds `metadata.json` for `provider` and a dummy disk image.
 */
export function buildBox(
  options: {
    provider?: string;
    info?: Record<string, unknown>;
    files?: Record<string, string>;
    /** Symbolic links to store, name → target. */
    symlinks?: Record<string, string>;
    /** A bsdtar `-s` rewrite of the stored names, kept as written (`-P`): `,^,../,` climbs out. */
    rename?: string;
    format?: BoxFormat;
  } = {},
): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-box-'));
  try {
    const files: Record<string, string> = {
      'metadata.json': JSON.stringify({ provider: options.provider ?? 'virtualbox' }),
      'box-disk001.vmdk': `dummy disk ${Math.random()}`,
      ...(options.info ? { 'info.json': JSON.stringify(options.info) } : {}),
      ...options.files,
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, 'box', name)), { recursive: true });
      writeFileSync(path.join(dir, 'box', name), text);
    }
    for (const [name, target] of Object.entries(options.symlinks ?? {}))
      symlinkSync(target, path.join(dir, 'box', name));
    const out = path.join(dir, 'out.box');
    const flags = BSDTAR_FLAGS[options.format ?? 'tar.gz'];
    const rename = options.rename ? ['-P', '-s', options.rename] : [];
    const names = [...Object.keys(files), ...Object.keys(options.symlinks ?? {})];
    const res = spawnSync('bsdtar', [...rename, ...flags, out, ...names], {
      cwd: path.join(dir, 'box'),
    });
    if (res.status !== 0) throw new Error(`bsdtar failed: ${res.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A gzip'd tar whose one file declares and holds `unpacked` zero bytes, in a few KiB:
 * gzip members may be concatenated, so one member of zeros is repeated. The tar header
 * comes from Python's tarfile.
 */
export function gzipTarBomb(unpacked: number, name = 'box-disk001.vmdk'): Buffer {
  const header = spawnSync('python3', [
    '-c',
    'import sys, tarfile; t = tarfile.TarInfo(sys.argv[1]); t.size = int(sys.argv[2]); sys.stdout.buffer.write(t.tobuf(tarfile.USTAR_FORMAT))',
    name,
    String(unpacked),
  ]);
  if (header.status !== 0) throw new Error(`python3 failed: ${header.stderr.toString()}`);
  const chunk = 64 * 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(chunk));
  return Buffer.concat([
    gzipSync(header.stdout),
    ...Array.from({ length: Math.ceil(unpacked / chunk) }, () => zeros),
  ]);
}

/** Debian's vagrant (`apt-get install vagrant`, which brings bsdtar and curl). */
export function findVagrant(): { available: boolean; missing: string } {
  const res = spawnSync('vagrant', ['--version'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH!,
      HOME: os.tmpdir(),
      VAGRANT_CHECKPOINT_DISABLE: '1',
      VAGRANT_NO_PLUGINS: '1',
    },
  });
  if (res.status !== 0 || !/Vagrant \d/.test(res.stdout))
    return { available: false, missing: "vagrant (Debian's vagrant package)" };
  return { available: true, missing: '' };
}

/**
 * A scratch HOME and VAGRANT_HOME, with Vagrant's network checks and plugins off, so
 * nothing of the machine is read or changed.
 */
export class VagrantSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-vagrant-'));
  readonly vagrantHome = path.join(this.home, '.vagrant.d');

  run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        'vagrant',
        args,
        {
          cwd: this.home,
          timeout: 180_000,
          env: {
            PATH: process.env.PATH!,
            HOME: this.home,
            VAGRANT_HOME: this.vagrantHome,
            VAGRANT_CHECKPOINT_DISABLE: '1',
            VAGRANT_BOX_UPDATE_CHECK_DISABLE: '1',
            VAGRANT_NO_PLUGINS: '1',
            VAGRANT_NO_COLOR: '1',
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
