import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/** A package tarball as `npm pack` lays it out: everything under `package/`. */
export async function npmTarball(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files))
    pack.entry({ name: `package/${name}`, mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

/** The document `npm publish` PUTs: one version, dist-tags, the tarball in base64. */
export function publishDocument(
  manifest: { name: string; version: string; [k: string]: unknown },
  tgz: Buffer,
  options: { tags?: string[]; integrity?: string } = {},
): Record<string, unknown> {
  const integrity =
    options.integrity ?? `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
  const shasum = createHash('sha1').update(tgz).digest('hex');
  const file = `${manifest.name}-${manifest.version}.tgz`;
  return {
    _id: manifest.name,
    name: manifest.name,
    description: manifest.description,
    'dist-tags': Object.fromEntries((options.tags ?? ['latest']).map((t) => [t, manifest.version])),
    versions: {
      [manifest.version]: {
        ...manifest,
        _id: `${manifest.name}@${manifest.version}`,
        dist: { integrity, shasum, tarball: `http://x/${file}` },
      },
    },
    access: null,
    _attachments: {
      [file]: {
        content_type: 'application/octet-stream',
        data: tgz.toString('base64'),
        length: tgz.length,
      },
    },
  };
}

/** Is the npm CLI on this machine? (Synchronous: test files decide to run or skip while loading.) */
export function findNpm(): { available: boolean; missing: string } {
  const res = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  return res.status === 0
    ? { available: true, missing: '' }
    : { available: false, missing: 'the npm CLI' };
}

/**
 * A scratch npm setup: its own HOME, `.npmrc` (registry and `_authToken` for the owner's
 * registry URL, no audit/fund/update checks) and a fresh cache per call, so nothing on the
 * machine is read or changed and nothing is served from an earlier run.
 */
export class NpmSandbox {
  readonly home = mkdtempSync(path.join(os.tmpdir(), 'wharf-npm-'));
  readonly userconfig = path.join(this.home, '.npmrc');
  private cacheCount = 0;

  constructor(
    readonly registry: string,
    auth: { token?: string; scope?: string } = {},
  ) {
    const hostPath = registry.replace(/^https?:/, '');
    const lines = [
      `registry=${registry}`,
      'audit=false',
      'fund=false',
      'update-notifier=false',
      'progress=false',
      'loglevel=warn',
      ...(auth.scope ? [`${auth.scope}:registry=${registry}`] : []),
      ...(auth.token ? [`${hostPath}:_authToken=${auth.token}`] : []),
    ];
    writeFileSync(this.userconfig, `${lines.join('\n')}\n`);
  }

  /** A new empty directory under the sandbox. */
  dir(name: string): string {
    const d = path.join(this.home, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /**
   * Runs npm in `cwd` with the sandbox's config and a fresh cache; resolves with code and
   * output, never rejects. `answers` are typed one by one at npm's prompts (`Username:`,
   * `Password:`): npm reads each prompt with its own reader, so piping them all at once loses all but the first.
   */
  run(
    args: string[],
    cwd = this.home,
    answers: string[] = [],
  ): Promise<{ code: number; out: string }> {
    const cache = path.join(this.home, `cache-${++this.cacheCount}`);
    return new Promise((resolve) => {
      const child = execFile(
        'npm',
        [...args, '--userconfig', this.userconfig, '--cache', cache, '--registry', this.registry],
        {
          cwd,
          env: { PATH: process.env.PATH!, HOME: this.home, npm_config_userconfig: this.userconfig },
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) =>
          resolve({
            code: err ? ((err as { code?: number }).code ?? 1) : 0,
            out: `${stdout}${stderr}`,
          }),
      );
      const pending = [...answers];
      let seen = '';
      const onOutput = (chunk: Buffer | string) => {
        seen += chunk.toString();
        if (pending.length && /(Username|Password|Email[^:]*):\s*$/.test(seen)) {
          seen = '';
          child.stdin!.write(`${pending.shift()}\n`);
          if (!pending.length) child.stdin!.end();
        }
      };
      child.stdout!.on('data', onOutput);
      child.stderr!.on('data', onOutput);
      if (!answers.length) child.stdin!.end();
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
