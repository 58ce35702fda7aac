/** Every package format Wharf serves; the `type` column of a package row. */
export enum PackageType {
  Alpine = 'alpine',
  Alt = 'alt',
  Arch = 'arch',
  Cargo = 'cargo',
  Chef = 'chef',
  Composer = 'composer',
  Conan = 'conan',
  Conda = 'conda',
  Container = 'container',
  Cran = 'cran',
  Debian = 'debian',
  Generic = 'generic',
  Go = 'go',
  Helm = 'helm',
  Maven = 'maven',
  Npm = 'npm',
  Nuget = 'nuget',
  Pub = 'pub',
  Pypi = 'pypi',
  Rpm = 'rpm',
  Rubygems = 'rubygems',
  Swift = 'swift',
  Vagrant = 'vagrant',
}

export const PACKAGE_TYPES: readonly PackageType[] = Object.values(PackageType);

export function isPackageType(value: string): value is PackageType {
  return (PACKAGE_TYPES as readonly string[]).includes(value);
}
