import { CondaRecord, PACKAGE_FORMATS, PackageSuffix } from './conda.metadata';

/*
 * repodata.json (docs/protocols/conda.md §4), built from plain values: what conda's
 * SubdirData reads (conda/core/subdir_data.py): `info.subdir`, `packages` (.tar.bz2) and
 * `packages.conda`, each keyed by file name.
 */

export interface RepodataFile {
  fileName: string;
  suffix: PackageSuffix;
  record: CondaRecord;
  md5: string;
  sha256: string;
  size: number;
}

/** The repodata of one subdir; an empty subdir is an empty document, never a 404. */
export function buildRepodata(subdir: string, files: RepodataFile[]): string {
  const sections: Record<string, Record<string, unknown>> = {};
  for (const f of PACKAGE_FORMATS) sections[f.key] = {};
  const sorted = [...files].sort((a, b) =>
    a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0,
  );
  for (const f of sorted) {
    const key = PACKAGE_FORMATS.find((p) => p.suffix === f.suffix)!.key;
    sections[key][f.fileName] = { ...f.record, subdir, md5: f.md5, sha256: f.sha256, size: f.size };
  }
  return JSON.stringify({
    info: { subdir },
    packages: sections.packages,
    'packages.conda': sections['packages.conda'],
    removed: [],
    repodata_version: 1,
  });
}
