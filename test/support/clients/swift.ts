import { spawnSync } from 'node:child_process';

/*
 * What `swift package-registry` sends, built here: the source archive as
 * `swift package archive-source` makes it (a zip whose one top directory, named after the
 * package, holds Package.swift), and the publish form as SwiftPM's RegistryClient writes it
 * (swift-package-manager 5.9–6.0, Sources/PackageRegistry/RegistryClient.swift, `publish`):
 * a `source-archive` part with `Content-Type: application/zip` and no file name, then a
 * `metadata` part with `Content-Type: application/json`.
 */

const BUILD_ZIP = `
import json, sys, zipfile
entries = json.load(sys.stdin)
with zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED) as z:
    for e in entries:
        info = zipfile.ZipInfo(e['name'])
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, bytes(e['zeros']) if e.get('zeros') else e.get('text', '').encode())
`;

export interface ZipItem {
  name: string;
  text?: string;
  /** that many zero bytes as the body */
  zeros?: number;
}

export function zipOf(entries: ZipItem[]): Buffer {
  const res = spawnSync('python3', ['-c', BUILD_ZIP], {
    input: JSON.stringify(entries),
    maxBuffer: 256 * 1024 ** 2,
  });
  if (res.status !== 0) throw new Error(`python3 zipfile failed: ${res.stderr.toString()}`);
  return res.stdout;
}

export const manifest = (name: string, tools = '5.7') =>
  `// swift-tools-version:${tools}\nimport PackageDescription\n\nlet package = Package(name: "${name}", products: [.library(name: "${name}", targets: ["${name}"])], targets: [.target(name: "${name}")])\n`;

/** A source archive as `swift package archive-source` builds it for package `name`. */
export function sourceArchive(name: string, extra: ZipItem[] = []): Buffer {
  return zipOf([
    { name: `${name}/Package.swift`, text: manifest(name) },
    { name: `${name}/Sources/${name}/${name}.swift`, text: 'public struct Greeter {}\n' },
    ...extra,
  ]);
}

/** The publish body as RegistryClient writes it; returns the body and its Content-Type. */
export function swiftPmPublishForm(
  archive: Buffer,
  metadata?: unknown,
): { body: Buffer; contentType: string } {
  const boundary = 'E621E1F8-C36C-495A-93FC-0C247A3E6E5F';
  const parts: Buffer[] = [
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="source-archive"\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: binary\r\n\r\n`,
    ),
    archive,
  ];
  if (metadata !== undefined)
    parts.push(
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${JSON.stringify(metadata)}`,
      ),
    );
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/form-data;boundary="${boundary}"`,
  };
}
