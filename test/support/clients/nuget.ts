import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArchiveEntry, composerArchive } from './composer';

/*
 * NuGet test helpers: .nuspec text, .nupkg/.snupkg zips (Python's zipfile, as a packer
 * writes them), Portable PDBs laid out as the ECMA-335 metadata root, and a sandbox for
 * Debian's NuGet.exe 2.8 on mono (docs/protocols/nuget.md §6).
 */

export interface NuspecOptions {
  id: string;
  version: string;
  description?: string;
  authors?: string;
  /** Extra XML inside <metadata>. */
  extra?: string;
  /** `<packageType name=…/>`, e.g. SymbolsPackage. */
  packageType?: string;
  /** Text put before <package> (a DOCTYPE, say). */
  prolog?: string;
}

export function nuspec(o: NuspecOptions): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    (o.prolog ?? '') +
    '<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">\n' +
    '  <metadata>\n' +
    `    <id>${o.id}</id>\n    <version>${o.version}</version>\n` +
    `    <authors>${o.authors ?? 'Wharf Tests'}</authors>\n` +
    `    <description>${o.description ?? `The ${o.id} test package`}</description>\n` +
    (o.packageType
      ? `    <packageTypes><packageType name="${o.packageType}" /></packageTypes>\n`
      : '') +
    (o.extra ?? '') +
    '  </metadata>\n</package>\n'
  );
}

/** A .nupkg: `{id}.nuspec` at the root and `lib/netstandard2.0/{id}.dll` (or `entries`). */
export function nupkg(o: NuspecOptions, entries?: ArchiveEntry[]): Buffer {
  return composerArchive(
    entries ?? [
      { name: `${o.id}.nuspec`, text: nuspec(o) },
      { name: `lib/netstandard2.0/${o.id}.dll`, text: 'not really a dll' },
      { name: '[Content_Types].xml', text: '<Types/>' },
    ],
    'zip',
  );
}

/** A .snupkg carrying `pdbs` (entry name → bytes). */
export function snupkg(o: NuspecOptions, pdbs: Record<string, Buffer>): Buffer {
  return composerArchive(
    [
      {
        name: `${o.id}.nuspec`,
        text: nuspec({ ...o, packageType: o.packageType ?? 'SymbolsPackage' }),
      },
      ...Object.entries(pdbs).map(([name, bytes]) => ({ name, base64: bytes.toString('base64') })),
    ],
    'zip',
  );
}

/**
 * A Portable PDB whose PDB id is the GUID `guid` (text form): the metadata root
 * (`BSJB`, version `PDB v1.0`) with a `#Pdb` stream and an empty `#~` stream.
 */
export function portablePdb(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const id = Buffer.alloc(20);
  id.writeUInt32LE(parseInt(hex.slice(0, 8), 16), 0);
  id.writeUInt16LE(parseInt(hex.slice(8, 12), 16), 4);
  id.writeUInt16LE(parseInt(hex.slice(12, 16), 16), 6);
  Buffer.from(hex.slice(16), 'hex').copy(id, 8);
  id.writeUInt32LE(0x01a21557, 16); // the stamp
  const version = Buffer.from('PDB v1.0\0\0\0\0'); // padded to 4
  const header = (offset: number, size: number, name: string) => {
    const padded = Buffer.alloc(Math.ceil((name.length + 1) / 4) * 4);
    padded.write(name, 'latin1');
    const b = Buffer.alloc(8);
    b.writeUInt32LE(offset, 0);
    b.writeUInt32LE(size, 4);
    return Buffer.concat([b, padded]);
  };
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(0x424a5342, 0);
  fixed.writeUInt16LE(1, 4);
  fixed.writeUInt16LE(1, 6);
  fixed.writeUInt32LE(version.length, 12);
  const flags = Buffer.from([0, 0, 2, 0]); // flags, 2 streams
  const headersSize = header(0, 0, '#Pdb').length + header(0, 0, '#~').length;
  const start = fixed.length + version.length + flags.length + headersSize;
  const tables = Buffer.alloc(24);
  return Buffer.concat([
    fixed,
    version,
    flags,
    header(start, id.length, '#Pdb'),
    header(start + id.length, tables.length, '#~'),
    id,
    tables,
  ]);
}

/**
 * NuGet.exe from Debian (`apt-get install nuget mono-runtime`). Probed with a `pack` of a
 * missing file: `nuget help` (and `sources list`) word-wrap to the console width, which
 * is 0 without a terminal, and never stop writing blank lines.
 */
export function findNuGet(): { available: boolean; missing: string } {
  const res = spawnSync('nuget', ['pack', 'wharf-probe-missing.nuspec', '-NonInteractive'], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024,
    cwd: os.tmpdir(),
    env: { PATH: process.env.PATH!, HOME: os.tmpdir() },
  });
  return /Attempting to build package/.test(res.stdout ?? '')
    ? { available: true, missing: '' }
    : { available: false, missing: "NuGet.exe (Debian's nuget and mono-runtime packages)" };
}

/**
 * A scratch HOME with a private NuGet.Config: `<clear/>` and one source, with its
 * credentials in clear text (NuGet.exe 2.8 on mono cannot decrypt stored passwords).
 */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export class NuGetSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-nuget-'));
  readonly config = path.join(this.home, 'NuGet.Config');

  configure(source: string, user?: string, secret?: string): void {
    const credentials =
      user && secret
        ? '<packageSourceCredentials><wharf>' +
          `<add key="Username" value="${user}" /><add key="ClearTextPassword" value="${secret}" />` +
          '</wharf></packageSourceCredentials>'
        : '';
    writeFileSync(
      this.config,
      '<?xml version="1.0" encoding="utf-8"?>\n<configuration>' +
        `<packageSources><clear /><add key="wharf" value="${source}" /></packageSources>` +
        credentials +
        '<config><add key="repositoryPath" value="packages" /></config>' +
        '</configuration>\n',
    );
  }

  /** A directory under the sandbox (NuGet.exe 2.8 is given relative paths from `cwd`). */
  dir(name: string): string {
    const dir = path.join(this.home, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Runs NuGet.exe in a pseudo-terminal (`script`): without one, mono reports a console
   * width of 0 and NuGet.exe's word-wrapped output (`list`, errors) never ends.
   */
  run(args: string[], cwd: string = this.home): Promise<{ code: number; out: string }> {
    // `pack` reads no configuration (and refuses -ConfigFile).
    const all = [
      ...args,
      ...(args[0] === 'pack' ? [] : ['-ConfigFile', this.config]),
      '-NonInteractive',
    ];
    const command = `stty cols 200 rows 50; exec nuget ${all.map(shellQuote).join(' ')}`;
    return new Promise((resolve) => {
      execFile(
        'script',
        ['-qec', command, '/dev/null'],
        {
          cwd,
          timeout: 180_000,
          maxBuffer: 4 * 1024 * 1024,
          env: {
            PATH: process.env.PATH!,
            HOME: this.home,
            TERM: 'xterm',
            XDG_CONFIG_HOME: path.join(this.home, '.config'),
            MONO_REGISTRY_PATH: path.join(this.home, '.mono-registry'),
          },
        },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            // the terminal's escape sequences and CRs out
            out: `${stdout}${stderr}`
              // eslint-disable-next-line no-control-regex
              .replace(/\x1b(?:\[[0-9;?]*[A-Za-z]|[=>])/g, '')
              .replace(/\r/g, '')
              .slice(0, 8000),
          }),
      );
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
