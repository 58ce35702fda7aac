import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/**
 * The real cargo for the client tests (CLIENTS.md: cargo 1.95 is on the machine, through
 * rustup). `WHARF_CARGO` names another binary. cargo finds its toolchain through
 * RUSTUP_HOME, which is kept when HOME moves to a scratch directory.
 */
export interface FoundCargo {
  bin?: string;
  /** RUSTUP_HOME of the real home, when cargo is rustup's proxy. */
  rustupHome?: string;
  missing: string;
}

let found: FoundCargo | undefined;

export function findCargo(): FoundCargo {
  return (found ??= locate());
}

function locate(): FoundCargo {
  const candidates = [
    process.env.WHARF_CARGO,
    ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'cargo')),
    path.join(os.homedir(), '.cargo/bin/cargo'),
  ].filter((c): c is string => !!c && existsSync(c));
  const rustupHome = process.env.RUSTUP_HOME ?? path.join(os.homedir(), '.rustup');
  for (const bin of candidates) {
    const env = { PATH: `${path.dirname(bin)}:${process.env.PATH ?? ''}`, RUSTUP_HOME: rustupHome };
    const res = spawnSync(bin, ['--version'], { env, encoding: 'utf8' });
    if (res.status === 0) return { bin, rustupHome, missing: '' };
  }
  return { missing: 'cargo (install Rust with rustup, or set WHARF_CARGO)' };
}

export interface CargoResult {
  code: number;
  out: string;
}

export interface CargoRegistry {
  /** The name in `[registries.<name>]`. */
  name: string;
  /** `sparse+…/` index URL. */
  index: string;
  /** Token for credentials.toml (absent: no credentials for it). */
  token?: string;
}

/**
 * A private CARGO_HOME and HOME in a scratch directory: `config.toml` with the registries
 * and the `cargo:token` credential provider, `credentials.toml` with their tokens. Nothing
 * on the machine is read or changed, and crates.io is never contacted.
 */
export class CargoSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-cargo-'));
  readonly cargoHome = path.join(this.home, '.cargo');

  constructor(
    private readonly cargo: FoundCargo,
    registries: CargoRegistry[],
  ) {
    mkdirSync(this.cargoHome, { recursive: true });
    const config = [
      '[registry]',
      'global-credential-providers = ["cargo:token"]',
      '[net]',
      'retry = 0',
      '[term]',
      'color = "never"',
      'progress.when = "never"',
      ...registries.flatMap((r) => [`[registries.${r.name}]`, `index = "${r.index}"`]),
    ];
    writeFileSync(path.join(this.cargoHome, 'config.toml'), `${config.join('\n')}\n`);
    const credentials = registries
      .filter((r) => r.token !== undefined)
      .flatMap((r) => [`[registries.${r.name}]`, `token = "${r.token}"`]);
    writeFileSync(path.join(this.cargoHome, 'credentials.toml'), `${credentials.join('\n')}\n`);
  }

  /** Runs cargo in `cwd` (default: the scratch home); never rejects. */
  run(args: string[], cwd = this.home, timeoutMs = 240_000): Promise<CargoResult> {
    const bin = this.cargo.bin!;
    const env = {
      PATH: `${path.dirname(bin)}:${process.env.PATH ?? ''}`,
      HOME: this.home,
      CARGO_HOME: this.cargoHome,
      RUSTUP_HOME: this.cargo.rustupHome ?? '',
      CARGO_TARGET_DIR: path.join(this.home, 'target'),
      CARGO_INCREMENTAL: '0',
    };
    return new Promise((resolve) => {
      execFile(bin, args, { cwd, env, timeout: timeoutMs }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number) || 1 : 0;
        resolve({ code: typeof code === 'number' ? code : 1, out: `${stdout}${stderr}` });
      });
    });
  }

  /** Writes a crate's sources under the scratch home; returns its directory. */
  writeCrate(dir: string, files: Record<string, string>): string {
    const root = path.join(this.home, dir);
    for (const [file, body] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), body);
    }
    return root;
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The publish body cargo sends: u32 LE length + metadata JSON + u32 LE length + .crate. */
export function publishBody(metadata: object | Buffer, crate: Buffer): Buffer {
  const json = Buffer.isBuffer(metadata) ? metadata : Buffer.from(JSON.stringify(metadata));
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  return Buffer.concat([len(json.length), json, len(crate.length), crate]);
}

/** Publish metadata as cargo writes it for a crate without dependencies. */
export function crateMetadata(name: string, vers: string, extra: object = {}): object {
  return {
    name,
    vers,
    deps: [],
    features: {},
    authors: [],
    description: `${name} for tests`,
    keywords: [],
    categories: [],
    license: 'MIT',
    badges: {},
    links: null,
    rust_version: null,
    ...extra,
  };
}

/**
 * A .crate as `cargo package` lays it out: `{name}-{vers}/Cargo.toml` and sources, in a
 * gzip'd tar. `manifest` overrides the Cargo.toml's name/version (to make one disagree).
 */
export async function crateArchive(
  name: string,
  vers: string,
  options: {
    manifest?: { name: string; version: string };
    files?: Record<string, string | Buffer>;
  } = {},
): Promise<Buffer> {
  const m = options.manifest ?? { name, version: vers };
  const files: Record<string, string | Buffer> = {
    'Cargo.toml': `[package]\nname = "${m.name}"\nversion = "${m.version}"\nedition = "2021"\n`,
    'src/lib.rs': 'pub fn answer() -> u32 { 42 }\n',
    ...options.files,
  };
  const pack = tar.pack();
  for (const [file, body] of Object.entries(files))
    pack.entry(
      {
        name: file.startsWith('/') || file.startsWith('..') ? file : `${name}-${vers}/${file}`,
        mode: 0o644,
      },
      body,
    );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}
