import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/**
 * The RubyGems client tools (Debian's `ruby` and `ruby-bundler`: gem 3.3, bundler 2.3),
 * sandboxed in a scratch HOME/GEM_HOME, and .gem archives for the HTTP tests — real ones
 * from `gem build`, and hostile ones assembled with tar-stream.
 */

export interface RubyTools {
  available: boolean;
  missing: string;
}

export function findRubyTools(): RubyTools {
  const absent = ['ruby', 'gem', 'bundle'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0,
  );
  return {
    available: absent.length === 0,
    missing: `${absent.join(', ')} (apt-get install ruby ruby-bundler)`,
  };
}

/** An environment that reads and writes nothing outside `home`. */
export function rubyEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    GEM_HOME: path.join(home, 'gems'),
    GEM_PATH: path.join(home, 'gems'),
    GEM_SPEC_CACHE: path.join(home, 'spec-cache'),
    BUNDLE_USER_HOME: path.join(home, 'bundle-home'),
    BUNDLE_APP_CONFIG: path.join(home, 'bundle-config'),
    BUNDLE_PATH: path.join(home, 'bundle'),
    BUNDLE_DISABLE_VERSION_CHECK: 'true',
    LANG: 'C.UTF-8',
    ...extra,
  };
}

/** A scratch HOME for gem and bundle; commands run asynchronously (the server shares the process). */
export class RubySandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-rubygems-'));

  run(
    cmd: string,
    args: string[],
    opts: { cwd?: string; env?: Record<string, string> } = {},
  ): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        { cwd: opts.cwd ?? this.home, timeout: 180_000, env: rubyEnv(this.home, opts.env) },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          }),
      );
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** `gem build` of a small gem in `dir`; returns the path of the .gem. */
export function buildGem(
  dir: string,
  opts: { name: string; version: string; dependencies?: [string, string][]; body?: string },
): string {
  const src = path.join(dir, `${opts.name}-${opts.version}-src`);
  mkdirSync(path.join(src, 'lib'), { recursive: true });
  const mod = opts.name.replace(/(^|[-_])(\w)/g, (_m, _s, c: string) => c.toUpperCase());
  writeFileSync(
    path.join(src, 'lib', `${opts.name}.rb`),
    opts.body ??
      `module ${mod}\n  def self.hello = "hello from ${opts.name} ${opts.version}"\nend\n`,
  );
  const deps = (opts.dependencies ?? [])
    .map(([n, r]) => `  s.add_runtime_dependency ${JSON.stringify(n)}, ${JSON.stringify(r)}\n`)
    .join('');
  writeFileSync(
    path.join(src, `${opts.name}.gemspec`),
    `Gem::Specification.new do |s|
  s.name = ${JSON.stringify(opts.name)}
  s.version = ${JSON.stringify(opts.version)}
  s.summary = "A test gem for Wharf"
  s.authors = ["Wharf"]
  s.license = "MIT"
  s.files = ["lib/${opts.name}.rb"]
${deps}end
`,
  );
  execFileSync('gem', ['build', `${opts.name}.gemspec`], {
    cwd: src,
    env: rubyEnv(dir),
    stdio: 'pipe',
  });
  const file = path.join(src, `${opts.name}-${opts.version}.gem`);
  readFileSync(file);
  return file;
}

/** A tar holding the given entries, as a .gem is (names as given, hostile ones included). */
export async function gemTar(
  entries: { name: string; body?: Buffer | string; type?: 'file' | 'symlink'; linkname?: string }[],
): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries)
    pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname }, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The gemspec YAML `gem build` writes, with optional extra lines (a hostile tag, say). */
export function gemspecYaml(name: string, version: string, extra = ''): string {
  return `--- !ruby/object:Gem::Specification
name: ${name}
version: !ruby/object:Gem::Version
  version: '${version}'
platform: ruby
authors:
- Wharf
dependencies: []
summary: A gem made by the test
${extra}`;
}

/** A .gem with the given gemspec YAML (or metadata.gz bytes) and a small data.tar.gz. */
export async function gemWith(
  yaml: string,
  opts: { metadataGz?: Buffer; extra?: { name: string; body?: string }[] } = {},
): Promise<Buffer> {
  const data = gzipSync(await gemTar([{ name: 'lib/x.rb', body: 'X = 1\n' }]));
  return gemTar([
    { name: 'metadata.gz', body: opts.metadataGz ?? gzipSync(yaml) },
    { name: 'data.tar.gz', body: data },
    ...(opts.extra ?? []),
  ]);
}
