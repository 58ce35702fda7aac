import { compareBoxVersions } from './vagrant.metadata';

/*
 * The box metadata catalog `vagrant box add <url>` reads (docs/protocols/vagrant.md §4),
 * built from plain values.
 */

export interface CatalogProvider {
  name: string;
  url: string;
  sha512: string;
}

export interface CatalogVersion {
  version: string;
  description?: string;
  providers: CatalogProvider[];
}

/**
 * `{name, description, versions: [{version, status, providers: [{name, url, checksum,
 * checksum_type}]}]}`: versions in Vagrant's order, oldest first, providers by name; the
 * description is the newest version's. Vagrant checks the download against `checksum`.
 */
export function buildBoxCatalog(name: string, versions: CatalogVersion[]): string {
  const sorted = [...versions].sort((a, b) => compareBoxVersions(a.version, b.version));
  const description = sorted.at(-1)?.description;
  return JSON.stringify({
    name,
    ...(description ? { description } : {}),
    versions: sorted.map((v) => ({
      version: v.version,
      status: 'active',
      providers: [...v.providers]
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((p) => ({
          name: p.name,
          url: p.url,
          checksum: p.sha512,
          checksum_type: 'sha512',
        })),
    })),
  });
}
