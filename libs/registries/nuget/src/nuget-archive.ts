import { InvalidArtifactError, OpenRange, readZipEntry } from '@wharf/packages-core';
import { MAX_NUSPEC_BYTES, Nuspec, parseNuspec } from './nuget.metadata';
import { portablePdbId } from './portable-pdb';

/*
 * Reads uploaded .nupkg and .snupkg archives (docs/protocols/nuget.md §3) through core's
 * zip reader, by byte ranges of the staged blob: the .nuspec at the archive's root, and
 * the Portable PDBs of a symbol package. The rest of a package is never inflated; a zip
 * declaring more than `maxUnpacked` bytes in all is refused (413) as a bomb.
 */

export interface NuGetArchiveLimits {
  /** Sum of the declared uncompressed sizes of all entries. */
  maxUnpacked: number;
  /** One PDB (Forgejo's bound). */
  maxPdb: number;
  /** All PDBs of one symbol package. */
  maxPdbTotal: number;
}

export const DEFAULT_NUGET_LIMITS: NuGetArchiveLimits = {
  maxUnpacked: 1024 * 1024 * 1024,
  maxPdb: 64 * 1024 * 1024,
  maxPdbTotal: 256 * 1024 * 1024,
};

/** The .nuspec of a package, parsed, and the names of every entry of the zip. */
export async function readNuspec(
  open: OpenRange,
  size: number,
  limits: NuGetArchiveLimits = DEFAULT_NUGET_LIMITS,
): Promise<{ nuspec: Nuspec; entries: string[] }> {
  const entries: string[] = [];
  const bytes = await readNuspecBytes(open, size, limits, (name) => entries.push(name));
  return { nuspec: parseNuspec(bytes), entries };
}

/** The bytes of the one `*.nuspec` entry at the root of the zip; `seen` is told every entry name. */
export async function readNuspecBytes(
  open: OpenRange,
  size: number,
  limits: NuGetArchiveLimits = DEFAULT_NUGET_LIMITS,
  seen: (name: string) => void = () => undefined,
): Promise<Buffer> {
  const bytes = await readZipEntry(
    open,
    size,
    (name) => {
      seen(name);
      return !name.includes('/') && name.toLowerCase().endsWith('.nuspec');
    },
    { maxEntrySize: MAX_NUSPEC_BYTES, maxUnpacked: limits.maxUnpacked },
  );
  if (!bytes)
    throw new InvalidArtifactError(
      'the .nuspec file is missing: a .nupkg holds its <id>.nuspec at the root of the zip',
    );
  return bytes;
}

/** A Portable PDB of a symbol package: its entry, base name and PDB id. */
export interface SymbolFile {
  entry: string;
  /** Lower-case base name, as debuggers ask for it. */
  name: string;
  id: string;
}

// What a .snupkg may hold besides PDBs: its nuspec and the OPC package parts.
const SYMBOL_PACKAGE_PARTS = ['.nuspec', '.xml', '.psmdcp', '.rels', '.p7s'];

/**
 * The PDBs of a .snupkg whose entries are `entries`: every file must be a PDB or a
 * package part (anything else is a 400, as nuget.org refuses it), at least one PDB, each
 * a Portable PDB (its id read from its header).
 */
export async function readSymbolFiles(
  open: OpenRange,
  size: number,
  entries: string[],
  limits: NuGetArchiveLimits = DEFAULT_NUGET_LIMITS,
): Promise<SymbolFile[]> {
  const pdbs = entries.filter((e) => !e.endsWith('/') && e.toLowerCase().endsWith('.pdb'));
  const other = entries.find(
    (e) =>
      !e.endsWith('/') &&
      !e.toLowerCase().endsWith('.pdb') &&
      !SYMBOL_PACKAGE_PARTS.some((ext) => e.toLowerCase().endsWith(ext)),
  );
  if (other)
    throw new InvalidArtifactError(
      `the symbol package holds ${other}: only .pdb files and package parts are accepted`,
    );
  if (!pdbs.length) throw new InvalidArtifactError('the symbol package holds no .pdb file');
  const symbols: SymbolFile[] = [];
  let total = 0;
  for (const entry of pdbs) {
    const bytes = await readZipEntry(open, size, (name) => name === entry, {
      maxEntrySize: limits.maxPdb,
      maxUnpacked: limits.maxUnpacked,
    });
    total += bytes?.length ?? 0;
    if (total > limits.maxPdbTotal)
      throw new InvalidArtifactError(
        `the symbol package's PDBs are larger than ${limits.maxPdbTotal} bytes in all`,
      );
    const name = entry.slice(entry.lastIndexOf('/') + 1).toLowerCase();
    symbols.push({ entry, name, id: portablePdbId(bytes ?? Buffer.alloc(0), entry) });
  }
  return symbols;
}

/** The bytes of one PDB inside a stored .snupkg. */
export async function readSymbolFile(
  open: OpenRange,
  size: number,
  entry: string,
  limits: NuGetArchiveLimits = DEFAULT_NUGET_LIMITS,
): Promise<Buffer | undefined> {
  return readZipEntry(open, size, (name) => name === entry, {
    maxEntrySize: limits.maxPdb,
    maxUnpacked: limits.maxUnpacked,
  });
}
