import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A package archive as `dart pub publish` builds one (dart-lang/pub lib/src/io.dart
 * createTarGz): a gzip'd ustar tar of the package's files named relative to the package
 * root, so `pubspec.yaml` sits at the root with no leading folder. Built with tar.
 */
export function buildPubArchive(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-pub-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, 'pkg', name)), { recursive: true });
      writeFileSync(path.join(dir, 'pkg', name), text);
    }
    const out = path.join(dir, 'package.tar.gz');
    const res = spawnSync('tar', ['--format=ustar', '-czf', out, ...Object.keys(files)], {
      cwd: path.join(dir, 'pkg'),
    });
    if (res.status !== 0) throw new Error(`tar failed: ${res.stderr.toString()}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A package with `pubspec.yaml` (name, version, description and more) and a library. */
export function pubPackage(name: string, version: string, extra = ''): Buffer {
  return buildPubArchive({
    'pubspec.yaml': `name: ${name}\nversion: ${version}\ndescription: Test Description\nenvironment:\n  sdk: ">=3.0.0 <4.0.0"\n${extra}`,
    'lib/main.dart': `void main() => print('${name} ${version}');\n`,
    LICENSE: 'MIT\n',
  });
}
