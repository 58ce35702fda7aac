import { createHash } from 'node:crypto';

/*
 * Pure builders of the apt repository's documents (docs/protocols/debian.md §4): the
 * paragraphs of a Packages index and the Release file. The Debian repository format:
 * https://wiki.debian.org/DebianRepository/Format ("Packages" indices, "Release" files).
 */

/** A stored package as a Packages index lists it. */
export interface IndexedDeb {
  /** The control paragraph (no trailing newline). */
  control: string;
  /** `pool/{dist}/{component}/{file}`, relative to the repository root. */
  filename: string;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/**
 * One paragraph of a Packages index, followed by the blank line that ends it: the control
 * fields as uploaded, then what apt checks the download against. Each paragraph carries
 * its own separator, so the paragraphs of several parts concatenate into one valid index.
 */
export function packagesParagraph(deb: IndexedDeb): string {
  return (
    `${deb.control}\n` +
    `Filename: ${deb.filename}\n` +
    `Size: ${deb.size}\n` +
    `MD5sum: ${deb.md5}\n` +
    `SHA1: ${deb.sha1}\n` +
    `SHA256: ${deb.sha256}\n` +
    `SHA512: ${deb.sha512}\n\n`
  );
}

/** A file a Release lists, with its four digests. */
export interface HashedFile {
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
}

/** The digests of a file given whole or as its pieces in order (never joined to hash them). */
export function hashFile(body: Buffer | readonly Buffer[]): HashedFile {
  const pieces = Buffer.isBuffer(body) ? [body] : body;
  const [md5, sha1, sha256, sha512] = ['md5', 'sha1', 'sha256', 'sha512'].map((a) => createHash(a));
  let size = 0;
  // Piece by piece through all four, while each piece is in the CPU's cache.
  for (const piece of pieces) {
    size += piece.length;
    for (const hash of [md5, sha1, sha256, sha512]) hash.update(piece);
  }
  return {
    size,
    md5: md5.digest('hex'),
    sha1: sha1.digest('hex'),
    sha256: sha256.digest('hex'),
    sha512: sha512.digest('hex'),
  };
}

export interface ReleaseInput {
  /** Origin and Label. */
  origin: string;
  /** Suite and Codename (Forgejo writes the distribution as both). */
  distribution: string;
  components: string[];
  architectures: string[];
  date: Date;
  /** Index files by path relative to `dists/{distribution}/` (`main/binary-amd64/Packages.xz`). */
  files: Map<string, HashedFile>;
}

/**
 * A distribution's Release file: what apt reads (after checking the signature of InRelease
 * or Release.gpg) to trust the indexes by their digests. `Acquire-By-Hash: yes` makes apt
 * fetch indexes at `…/by-hash/SHA256/{digest}`, which cannot change under it mid-update.
 */
export function buildRelease(input: ReleaseInput): string {
  const files = [...input.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const section = (title: string, digest: (f: HashedFile) => string) =>
    `${title}:\n` + files.map(([path, f]) => ` ${digest(f)} ${f.size} ${path}\n`).join('');
  return (
    `Origin: ${input.origin}\n` +
    `Label: ${input.origin}\n` +
    `Suite: ${input.distribution}\n` +
    `Codename: ${input.distribution}\n` +
    `Date: ${releaseDate(input.date)}\n` +
    `Architectures: ${[...input.architectures].sort().join(' ')}\n` +
    `Components: ${[...input.components].sort().join(' ')}\n` +
    `Acquire-By-Hash: yes\n` +
    section('MD5Sum', (f) => f.md5) +
    section('SHA1', (f) => f.sha1) +
    section('SHA256', (f) => f.sha256) +
    section('SHA512', (f) => f.sha512)
  );
}

/** RFC 1123 in UTC, as Debian's archive writes it: `Sat, 06 Dec 2026 11:32:57 UTC`. */
export function releaseDate(date: Date): string {
  return date.toUTCString().replace(/GMT$/, 'UTC');
}
