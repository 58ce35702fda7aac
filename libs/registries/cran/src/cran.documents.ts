import { compareRVersions, CranMetadata } from './cran.metadata';

/*
 * The PACKAGES index (docs/protocols/cran.md §4): one DCF record per package, the fields
 * R's tools::write_PACKAGES writes, in its order. Plain values in, text out.
 */

/** A stored package file of the kind the index lists, with its version's metadata. */
export interface IndexedFile {
  metadata: CranMetadata;
  md5: string;
}

/**
 * The highest version (R's order) of each package among `files`, one record each, sorted
 * by package name as write_PACKAGES does. Values were folded to one line when the
 * DESCRIPTION was read, so no field can start another record.
 */
export function buildPackagesIndex(files: IndexedFile[]): string {
  const newest = new Map<string, IndexedFile>();
  for (const f of files) {
    const key = f.metadata.package.toLowerCase();
    const seen = newest.get(key);
    if (!seen || compareRVersions(f.metadata.version, seen.metadata.version) > 0)
      newest.set(key, f);
  }
  return [...newest.values()]
    .sort((a, b) => compareNames(a.metadata.package, b.metadata.package))
    .map(record)
    .join('\n');
}

function record({ metadata: m, md5 }: IndexedFile): string {
  const fields: [string, string | undefined][] = [
    ['Package', m.package],
    ['Version', m.version],
    ['Priority', m.priority],
    ['Depends', m.depends],
    ['Imports', m.imports],
    ['LinkingTo', m.linkingTo],
    ['Suggests', m.suggests],
    ['Enhances', m.enhances],
    ['License', m.license],
    ['License_is_FOSS', m.licenseIsFoss],
    ['License_restricts_use', m.licenseRestrictsUse],
    ['OS_type', m.osType],
    ['MD5sum', md5],
    ['NeedsCompilation', m.needsCompilation ? 'yes' : 'no'],
  ];
  return fields
    .filter(([, value]) => value)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

// Case-insensitive first, as a listing reads; byte order breaks ties so the order is total.
function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
