import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/**
 * Debian packages for the tests — real ones from `dpkg-deb --build`, and hand-made ones
 * (the ar container written byte by byte, as Forgejo's test does) for bad inputs — and
 * apt itself in a sandbox of its own (docs/protocols/debian.md §6): a private APT_CONFIG
 * whose Dir, state, cache, lists, sources and auth.conf all live in a scratch directory,
 * so `apt-get update` and `apt-get download` read Wharf alone and change nothing on the
 * machine.
 */

export interface AptTools {
  available: boolean;
  missing: string;
}

export function findAptTools(): AptTools {
  const absent = [
    ['apt-get', ['--version']],
    ['dpkg-deb', ['--version']],
    ['gpgv', ['--version']],
  ]
    .filter(
      ([tool, args]) =>
        spawnSync(tool as string, args as string[], { stdio: 'ignore' }).status !== 0,
    )
    .map(([tool]) => tool as string);
  return {
    available: absent.length === 0,
    missing: `${absent.join(', ')} (apt-get install apt dpkg gpgv)`,
  };
}

/** A control paragraph (more fields appended as given). */
export function controlText(name: string, version: string, arch: string, extra = ''): string {
  return (
    `Package: ${name}\nVersion: ${version}\nArchitecture: ${arch}\n` +
    `Maintainer: Wharf Tests <tests@example.com>\n` +
    `Description: A package made by the test\n Its long description, on a second line.\n${extra}`
  );
}

/** One ar member: a 60-byte header, the data, "\n" to an even offset. */
export function arMember(name: string, data: Buffer | string): Buffer {
  const body = Buffer.from(data);
  const header =
    name.padEnd(16) +
    '0'.padEnd(12) +
    '0'.padEnd(6) +
    '0'.padEnd(6) +
    '100644'.padEnd(8) +
    String(body.length).padEnd(10) +
    '`\n';
  return Buffer.concat([
    Buffer.from(header, 'latin1'),
    body,
    body.length % 2 ? Buffer.from('\n') : Buffer.alloc(0),
  ]);
}

export function arArchive(members: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from('!<arch>\n'), ...members]);
}

export interface TarEntry {
  name: string;
  body?: string | Buffer;
}

export async function tarOf(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A .deb as dpkg lays it out — debian-binary, control.tar.gz (holding `./control`), a
 * data.tar.gz — with the control member given whole when a test needs it otherwise.
 */
export async function handMadeDeb(
  control: string,
  options: { controlMember?: Buffer; controlName?: string; extraMembers?: Buffer[] } = {},
): Promise<Buffer> {
  const controlTar =
    options.controlMember ??
    gzipSync(await tarOf([{ name: './' }, { name: './control', body: control }]));
  const data = gzipSync(await tarOf([{ name: './usr/share/doc/x/README', body: 'x\n' }]));
  return arArchive([
    arMember('debian-binary', '2.0\n'),
    arMember(options.controlName ?? 'control.tar.gz', controlTar),
    ...(options.extraMembers ?? []),
    arMember('data.tar.gz', data),
  ]);
}

/** A .deb built by dpkg-deb from a package tree with `control` and one file. */
export function dpkgDeb(
  workDir: string,
  control: string,
  options: { compression?: 'gzip' | 'xz' | 'zstd' | 'none'; file?: string } = {},
): Buffer {
  const root = mkdtempSync(path.join(workDir, 'pkg-'));
  mkdirSync(path.join(root, 'DEBIAN'));
  writeFileSync(
    path.join(root, 'DEBIAN', 'control'),
    control.endsWith('\n') ? control : `${control}\n`,
  );
  mkdirSync(path.join(root, 'usr', 'share', 'wharf'), { recursive: true });
  writeFileSync(path.join(root, 'usr', 'share', 'wharf', 'hello.txt'), options.file ?? 'hello\n');
  const out = `${root}.deb`;
  execFileSync(
    'dpkg-deb',
    ['--root-owner-group', `-Z${options.compression ?? 'xz'}`, '--build', root, out],
    { stdio: 'ignore' },
  );
  const bytes = readFileSync(out);
  rmSync(root, { recursive: true, force: true });
  rmSync(out, { force: true });
  return bytes;
}

/**
 * apt in a scratch directory: `etc/apt.conf` (APT_CONFIG) points Dir::State, Dir::Cache,
 * Dir::Etc and the dpkg status file into it, so no system list, key or source is read.
 */
export class AptSandbox {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'wharf-apt-'));
  readonly downloads = path.join(this.root, 'downloads');
  private readonly etc = path.join(this.root, 'etc');

  constructor() {
    for (const dir of [
      'etc/sources.list.d',
      'etc/preferences.d',
      'etc/apt.conf.d',
      'etc/trusted.gpg.d',
      'etc/auth.conf.d',
      'keyrings',
      'state/lists/partial',
      'cache/archives/partial',
      'downloads',
      'home',
    ])
      mkdirSync(path.join(this.root, dir), { recursive: true });
    writeFileSync(path.join(this.root, 'status'), '');
    const conf = [
      `Dir "${this.root}/";`,
      `Dir::State "${this.root}/state/";`,
      `Dir::State::status "${this.root}/status";`,
      `Dir::Cache "${this.root}/cache/";`,
      `Dir::Etc "${this.etc}/";`,
      `Dir::Etc::sourcelist "${this.etc}/sources.list";`,
      `Dir::Etc::sourceparts "${this.etc}/sources.list.d";`,
      `Dir::Etc::trusted "${this.etc}/trusted.gpg";`,
      `Dir::Etc::trustedparts "${this.etc}/trusted.gpg.d";`,
      `Dir::Etc::netrc "${this.etc}/auth.conf";`,
      `Dir::Etc::netrcparts "${this.etc}/auth.conf.d";`,
      `Dir::Etc::preferences "${this.etc}/preferences";`,
      `Dir::Etc::preferencesparts "${this.etc}/preferences.d";`,
      `Dir::Etc::parts "${this.etc}/apt.conf.d";`,
      `Dir::Log "${this.root}/log";`,
      // Running as root, apt would drop to _apt for downloads, which cannot read the scratch dir.
      'APT::Sandbox::User "root";',
      'Acquire::Languages "none";',
      'Acquire::Retries "0";',
      'Acquire::http::Timeout "30";',
      'Debug::NoLocking "true";',
      'Binary::apt::APT::Keep-Downloaded-Packages "true";',
    ];
    writeFileSync(this.configFile, `${conf.join('\n')}\n`);
    writeFileSync(path.join(this.etc, 'sources.list'), '');
  }

  get configFile(): string {
    return path.join(this.etc, 'apt.conf');
  }

  /** Pins `key` as the repository's key and adds a `deb` line for it. */
  addSource(
    name: string,
    url: string,
    distribution: string,
    components: string[],
    key: string,
  ): void {
    const keyFile = path.join(this.root, 'keyrings', `${name}.asc`);
    writeFileSync(keyFile, key);
    writeFileSync(
      path.join(this.etc, 'sources.list.d', `${name}.list`),
      `deb [signed-by=${keyFile}] ${url} ${distribution} ${components.join(' ')}\n`,
    );
  }

  /** Credentials for `url` (apt sends them over plain http only if the machine line says http://). */
  addCredentials(url: string, login: string, password: string): void {
    writeFileSync(
      path.join(this.etc, 'auth.conf.d', `${login}.conf`),
      `machine ${url} login ${login} password ${password}\n`,
      { mode: 0o600 },
    );
  }

  run(args: string[], cwd = this.downloads): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        'apt-get',
        args,
        {
          cwd,
          timeout: 120_000,
          env: {
            PATH: process.env.PATH,
            HOME: path.join(this.root, 'home'),
            APT_CONFIG: this.configFile,
            LANG: 'C.UTF-8',
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
    rmSync(this.root, { recursive: true, force: true });
  }
}
