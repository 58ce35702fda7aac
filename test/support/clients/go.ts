import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Debian's go (`apt-get install golang-go`, go 1.19; CLIENTS.md) for the Go tests, sandboxed:
 * a scratch HOME, GOPATH, GOMODCACHE and GOCACHE, no toolchain switching, no checksum
 * database, and Wharf as the only proxy (`GOPROXY=<wharf>,off`).
 */
export function findGo(): { available: boolean; missing: string } {
  const res = spawnSync('go', ['version'], { encoding: 'utf8', env: { PATH: process.env.PATH! } });
  return res.status === 0
    ? { available: true, missing: '' }
    : { available: false, missing: "go (Debian's golang-go package)" };
}

export interface GoResult {
  code: number;
  out: string;
}

export class GoSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-go-'));
  private zipper?: string;

  /** The environment of every go command: nothing of the machine's, nothing from the network. */
  env(goproxy = 'off'): Record<string, string> {
    return {
      PATH: process.env.PATH!,
      HOME: this.home,
      GOPATH: path.join(this.home, 'gopath'),
      GOMODCACHE: path.join(this.home, 'gopath', 'pkg', 'mod'),
      GOCACHE: path.join(this.home, 'gocache'),
      GOENV: path.join(this.home, 'goenv'),
      GOPROXY: goproxy,
      GOSUMDB: 'off',
      GONOSUMDB: '*',
      GOFLAGS: '-mod=mod',
      GOTOOLCHAIN: 'local',
      GO111MODULE: 'on',
      GOPRIVATE: '',
      GONOPROXY: '',
      CGO_ENABLED: '0',
    };
  }

  run(args: string[], cwd: string, goproxy = 'off', cmd = 'go'): Promise<GoResult> {
    return new Promise((resolve) => {
      execFile(
        cmd,
        args,
        { cwd, timeout: 240_000, env: this.env(goproxy), maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          }),
      );
    });
  }

  /** A new directory under the sandbox holding `files` (relative path → text). */
  writeTree(name: string, files: Record<string, string>): string {
    const root = path.join(this.home, name);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    }
    return root;
  }

  /**
   * The module zip of `files` for `module@version`, made by golang.org/x/mod/zip's
   * CreateFromDir — the code the go command itself uses for module zips (its vendored
   * copy in GOROOT, built here offline), so the layout is the toolchain's own.
   */
  async moduleZip(module: string, version: string, files: Record<string, string>): Promise<Buffer> {
    const zipper = await this.buildZipper();
    const dir = this.writeTree(`src-${Math.random().toString(36).slice(2)}`, files);
    const out = path.join(this.home, `${path.basename(dir)}.zip`);
    const res = await this.run([module, version, dir, out], this.home, 'off', zipper);
    if (res.code !== 0) throw new Error(`module zip of ${module}@${version} failed: ${res.out}`);
    return readFileSync(out);
  }

  private async buildZipper(): Promise<string> {
    if (this.zipper) return this.zipper;
    const goroot = spawnSync('go', ['env', 'GOROOT'], { encoding: 'utf8', env: this.env() });
    const xmod = path.join(this.home, 'xmod');
    cpSync(path.join(goroot.stdout.trim(), 'src/cmd/vendor/golang.org/x/mod'), xmod, {
      recursive: true,
    });
    writeFileSync(path.join(xmod, 'go.mod'), 'module golang.org/x/mod\n\ngo 1.17\n');
    const dir = this.writeTree('zipper', {
      'go.mod':
        'module wharf.test/zipper\n\ngo 1.19\n\nrequire golang.org/x/mod v0.0.0\n\nreplace golang.org/x/mod => ../xmod\n',
      'main.go': ZIPPER,
    });
    const bin = path.join(this.home, 'zipper-bin');
    const res = await this.run(['build', '-o', bin, '.'], dir);
    if (res.code !== 0) throw new Error(`building the module zipper failed: ${res.out}`);
    return (this.zipper = bin);
  }

  dispose(): void {
    // The module cache is read-only by design (go clean -modcache would need the go command).
    spawnSync('chmod', ['-R', 'u+w', this.home]);
    rmSync(this.home, { recursive: true, force: true });
  }
}

const ZIPPER = `package main

import (
	"os"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// zipper <module> <version> <dir> <out.zip>
func main() {
	out, err := os.Create(os.Args[4])
	if err != nil {
		panic(err)
	}
	if err := zip.CreateFromDir(out, module.Version{Path: os.Args[1], Version: os.Args[2]}, os.Args[3]); err != nil {
		os.Stderr.WriteString(err.Error() + "\\n")
		os.Exit(1)
	}
	if err := out.Close(); err != nil {
		panic(err)
	}
}
`;

/** A library module `module` whose package `greet` says `greeting`. */
export function greeterModule(module: string, greeting: string): Record<string, string> {
  return {
    'go.mod': `module ${module}\n\ngo 1.19\n`,
    'greet/greet.go': `package greet\n\n// Hello greets who.\nfunc Hello(who string) string { return "${greeting}, " + who }\n`,
    LICENSE: 'MIT\n',
  };
}
