import {
  checkName,
  InvalidArtifactError,
  NameGrammar,
  parseXmlDocument,
  xmlList as list,
  xmlRecord as record,
  xmlText as text_,
} from '@wharf/packages-core';
import { normalizeNuGetVersion } from './nuget-version';

/*
 * Pure parsing for the NuGet format (docs/protocols/nuget.md §3): the grammars of ids,
 * versions and file names, and the .nuspec of an uploaded .nupkg or .snupkg. No Nest,
 * no database.
 */

/** File property of a stored .snupkg: one row per Portable PDB it carries, the PDB id. */
export const SYMBOL_ID_PROPERTY = 'nuget.symbol.id';
/** File property of a stored .snupkg: `{pdb id} {entry path}`, where the PDB is inside it. */
export const SYMBOL_ENTRY_PROPERTY = 'nuget.symbol.entry';

// NuGet's PackageIdValidator (`^\w+([.-]\w+)*$`, 100 characters), ASCII only.
export const PACKAGE_ID: NameGrammar = {
  what: 'package id',
  pattern: /^[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*$/,
  rule: 'letters, digits and "_", with single "." or "-" between them (e.g. Contoso.Http-Client)',
  maxLength: 100,
};

// What a route may carry as a version: NuGet's characters; the version rules come after.
export const VERSION: NameGrammar = {
  what: 'package version',
  pattern: /^[0-9][0-9A-Za-z.+-]*$/,
  rule: 'digits and dots, then an optional -prerelease and +build label (e.g. 1.2.3-beta.1)',
  maxLength: 128,
};

export const FILE_NAME: NameGrammar = {
  what: 'file name',
  pattern: /^[A-Za-z0-9_][A-Za-z0-9_.+-]*$/,
  rule: 'letters, digits, "_", ".", "+" and "-"',
  fileName: true,
};

/** A route's version in its stored form: checked, then normalised as NuGet does (`1.0` is `1.0.0`). */
export function routeVersion(version: string): string {
  return normalizeNuGetVersion(checkName(version, VERSION));
}

export interface NuGetDependency {
  id: string;
  range?: string;
}

export interface NuGetDependencyGroup {
  /** '' for dependencies outside any `<group>`. */
  targetFramework: string;
  dependencies: NuGetDependency[];
}

/** What a stored version keeps of its .nuspec: the fields the v2 and v3 documents serve. */
export interface NuGetMetadata {
  id: string;
  /** Normalised. */
  version: string;
  /** As the .nuspec spells it (build metadata included). */
  originalVersion: string;
  authors: string;
  description: string;
  title?: string;
  summary?: string;
  owners?: string;
  releaseNotes?: string;
  copyright?: string;
  language?: string;
  tags?: string;
  projectUrl?: string;
  licenseUrl?: string;
  iconUrl?: string;
  repositoryUrl?: string;
  minClientVersion?: string;
  requireLicenseAcceptance: boolean;
  developmentDependency: boolean;
  dependencyGroups: NuGetDependencyGroup[];
}

export interface Nuspec {
  metadata: NuGetMetadata;
  /** `<packageType name="SymbolsPackage"/>`: a .snupkg. */
  isSymbolsPackage: boolean;
}

/** Largest .nuspec read (Forgejo's bound). */
export const MAX_NUSPEC_BYTES = 3 * 1024 * 1024;

/**
 * Reads a .nuspec. A document type declaration is refused whatever it holds (external
 * entities, entity expansion): NuGet's own nuspecs never carry one. The id must be a
 * NuGet id, the version a NuGet version (stored normalised).
 */
export function parseNuspec(bytes: Buffer): Nuspec {
  const doc = parseXmlDocument(bytes, 'the .nuspec', {
    maxBytes: MAX_NUSPEC_BYTES,
    attributes: true,
    arrays: ['dependency', 'group', 'packageType'],
  });
  const metadata = record(record(doc.package)?.metadata);
  if (!metadata) throw new InvalidArtifactError('the .nuspec has no <package><metadata> element');
  const field = (name: string) => text_(metadata[name]);
  const id = field('id');
  if (!id) throw new InvalidArtifactError('the .nuspec is invalid: <id> is missing');
  checkName(id, PACKAGE_ID);
  const originalVersion = field('version');
  if (!originalVersion)
    throw new InvalidArtifactError('the .nuspec is invalid: <version> is missing');
  const packageTypes = list(record(metadata.packageTypes)?.packageType).map((t) =>
    text_(record(t)?.['@name']),
  );
  return {
    isSymbolsPackage: packageTypes.some((t) => t?.toLowerCase() === 'symbolspackage'),
    metadata: dropUndefined({
      id,
      version: normalizeNuGetVersion(checkName(originalVersion, VERSION)),
      originalVersion,
      authors: field('authors') ?? '',
      description: field('description') ?? field('summary') ?? '',
      title: field('title'),
      summary: field('summary'),
      owners: field('owners'),
      releaseNotes: field('releaseNotes'),
      copyright: field('copyright'),
      language: field('language'),
      tags: field('tags'),
      projectUrl: httpUrl(field('projectUrl')),
      licenseUrl: httpUrl(field('licenseUrl')),
      iconUrl: httpUrl(field('iconUrl')),
      repositoryUrl: httpUrl(text_(record(metadata.repository)?.['@url'])),
      minClientVersion: text_(metadata['@minClientVersion']),
      requireLicenseAcceptance: field('requireLicenseAcceptance')?.toLowerCase() === 'true',
      developmentDependency: field('developmentDependency')?.toLowerCase() === 'true',
      dependencyGroups: dependencyGroups(record(metadata.dependencies)),
    }),
  };
}

/** Ungrouped `<dependency>`s under framework '', then each `<group>`; empty groups dropped. */
function dependencyGroups(deps: Record<string, unknown> | undefined): NuGetDependencyGroup[] {
  if (!deps) return [];
  const groups: NuGetDependencyGroup[] = [
    { targetFramework: '', dependencies: dependencies(deps.dependency) },
    ...list(deps.group).map((g) => ({
      targetFramework: text_(record(g)?.['@targetFramework']) ?? '',
      dependencies: dependencies(record(g)?.dependency),
    })),
  ];
  return groups.filter((g) => g.dependencies.length);
}

function dependencies(value: unknown): NuGetDependency[] {
  return list(value).flatMap((d) => {
    const id = text_(record(d)?.['@id']);
    if (!id) return [];
    const range = text_(record(d)?.['@version']);
    return [range ? { id, range } : { id }];
  });
}

function httpUrl(url: string | undefined): string | undefined {
  return url && /^https?:\/\/[^\s]+$/i.test(url) ? url : undefined;
}

function dropUndefined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
