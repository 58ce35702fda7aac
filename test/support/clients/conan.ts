import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/*
 * What Conan 2 builds and sends, made in the test (no conan client is installable here):
 * the exported recipe (conanfile.py, conan_export.tgz, conanmanifest.txt) and a binary
 * package (conan_package.tgz, conaninfo.txt, conanmanifest.txt), and the requests of
 * conans/client/rest/rest_client_v2.py in the order Conan sends them.
 */

export const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
export const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');

export interface TarEntrySpec {
  name: string;
  body?: string | Buffer;
  /** A symlink to this target instead of a file. */
  link?: string;
}

/** A gzip'd tar as Conan's `compress_files` writes it (conan_export.tgz, conan_package.tgz). */
export async function conanTgz(entries: TarEntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.link) pack.entry({ name: e.name, type: 'symlink', linkname: e.link, mode: 0o777 });
    else pack.entry({ name: e.name, mode: 0o644 }, e.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** conanmanifest.txt: a timestamp, then `path: md5` of each file, sorted. */
export function manifest(files: Record<string, string | Buffer>, timestamp = 1700000000): string {
  const lines = Object.keys(files)
    .sort()
    .map((name) => `${name}: ${md5(files[name])}`);
  return [String(timestamp), ...lines].join('\n') + '\n';
}

export function conanfile(name: string, version: string, extra = ''): string {
  return [
    'from conan import ConanFile',
    '',
    `class ${name.replace(/[^A-Za-z0-9]/g, '')}Conan(ConanFile):`,
    `    name = "${name}"`,
    `    version = "${version}"`,
    '    license = "MIT"',
    '    author = "Gitea <info@gitea.io>"',
    '    homepage = "https://gitea.io/"',
    '    url = "https://gitea.com/"',
    '    description = "Description of ConanPackage"',
    '    topics = ("gitea", "conan")',
    '    settings = "os", "arch"',
    extra,
    '',
  ].join('\n');
}

export function conaninfo(os = 'Linux'): string {
  return [
    '[settings]',
    `    arch=x86_64`,
    `    os=${os}`,
    '',
    '[options]',
    '    shared=False',
    '',
  ].join('\n');
}

/** The files of an exported recipe, keyed by name; its revision is the manifest's md5, as Conan's. */
export async function recipeFiles(
  name: string,
  version: string,
  extra = '',
): Promise<{ files: Record<string, Buffer>; revision: string }> {
  const py = conanfile(name, version, extra);
  const exported = { 'CMakeLists.txt': `project(${name})\n` };
  const files: Record<string, Buffer> = {
    'conanfile.py': Buffer.from(py),
    'conan_export.tgz': await conanTgz([
      { name: 'CMakeLists.txt', body: exported['CMakeLists.txt'] },
    ]),
  };
  const mf = manifest({ 'conanfile.py': py, ...exported });
  files['conanmanifest.txt'] = Buffer.from(mf);
  return { files, revision: md5(mf) };
}

/** The files of a binary package; its revision is the manifest's md5. */
export async function packageFiles(
  label: string,
  os = 'Linux',
): Promise<{ files: Record<string, Buffer>; revision: string; packageId: string }> {
  const info = conaninfo(os);
  const lib = `binary of ${label} for ${os}`;
  const files: Record<string, Buffer> = {
    'conaninfo.txt': Buffer.from(info),
    'conan_package.tgz': await conanTgz([
      { name: 'lib/libhello.so.1', body: lib },
      { name: 'lib/libhello.so', link: 'libhello.so.1' },
      { name: 'include/hello.h', body: '#pragma once\n' },
    ]),
  };
  const mf = manifest({
    'conaninfo.txt': info,
    'lib/libhello.so.1': lib,
    'include/hello.h': '#pragma once\n',
  });
  files['conanmanifest.txt'] = Buffer.from(mf);
  return { files, revision: md5(mf), packageId: sha1(info) };
}
