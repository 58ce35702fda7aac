import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readRpm } from '@wharf/packages-core';
import {
  buildRpm,
  buildRpmSet,
  hasRpmbuild,
  RpmSpecOptions,
} from '@wharf/packages-core/testing/rpmbuild';

export { buildRpm, buildRpmSet, hasRpmbuild };
export type { RpmSpecOptions };

/*
 * rpm packages for the end-to-end suites (built by rpmbuild, tampered with where a test
 * needs a bad one), and a sandboxed dnf (docs/protocols/rpm.md §6–7; CLIENTS.md): its own
 * dnf.conf, cache, persist and log dirs, an empty --installroot, no plugins, and the
 * `.repo` file the registry serves.
 */

/** A scratch directory for one suite. */
export function scratch(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `wharf-${prefix}-`));
}

/** Builds and reads back an rpm. */
export function rpmBytes(dir: string, spec: RpmSpecOptions): Buffer {
  return readFileSync(buildRpm(dir, spec));
}

/** Where the main header and payload start in `rpm`. */
export async function rpmLayout(rpm: Buffer) {
  const read = await readRpm(Readable.from(rpm));
  read.payload.destroy();
  return read.layout;
}

/** The rpm with one byte of its main header's data changed (the summary's first letter). */
export async function corruptHeader(rpm: Buffer): Promise<Buffer> {
  const layout = await rpmLayout(rpm);
  const copy = Buffer.from(rpm);
  const at = copy.indexOf('The ', layout.header.start);
  copy[at] = 't'.charCodeAt(0);
  return copy;
}

/** The rpm with its payload replaced by a gzip'd newc cpio holding `name` (made by bsdtar). */
export async function withPayloadEntry(dir: string, rpm: Buffer, name: string): Promise<Buffer> {
  const work = mkdtempSync(path.join(dir, 'cpio-'));
  mkdirSync(path.join(work, 'in'));
  writeFileSync(path.join(work, 'in', 'x'), 'escaped\n');
  execFileSync(
    'sh',
    ['-c', `bsdtar -P --format newc -s ',^x$,${name},' -cf - -C in x | gzip -9 > payload`],
    { cwd: work },
  );
  const layout = await rpmLayout(rpm);
  return Buffer.concat([
    rpm.subarray(0, layout.payloadStart),
    readFileSync(path.join(work, 'payload')),
  ]);
}

/** The rpm with a payload of `megabytes` MB of zeros in one cpio entry, zstd'd (a few KB). */
export async function withBombPayload(
  dir: string,
  rpm: Buffer,
  megabytes: number,
): Promise<Buffer> {
  const work = mkdtempSync(path.join(dir, 'bomb-'));
  execFileSync(
    'sh',
    [
      '-c',
      `truncate -s ${megabytes}M zeros && bsdtar --format newc -cf - zeros | zstd -q -19 > payload`,
    ],
    { cwd: work },
  );
  const layout = await rpmLayout(rpm);
  return Buffer.concat([
    rpm.subarray(0, layout.payloadStart),
    readFileSync(path.join(work, 'payload')),
  ]);
}

/** Is dnf installed (`apt-get install dnf rpm`)? */
export function hasDnf(): boolean {
  return spawnSync('dnf', ['--version'], { stdio: 'ignore' }).status === 0 && hasRpmbuild();
}

export interface DnfSandbox {
  dir: string;
  root: string;
  /**
   * Runs dnf against the sandbox's config and install root; rejects with its output on
   * failure. Asynchronous: the registry under test may run in this very process.
   */
  run(...args: string[]): Promise<string>;
  /** rpm against the install root's database (`-q`, `-qa`…). */
  rpm(...args: string[]): Promise<string>;
}

/**
 * A dnf that reads only `repoFile` (the registry's `.repo`, with credentials added when
 * given): private config, cache, persist and log dirs, an empty install root, no plugins,
 * `--releasever=1`, every check on.
 */
export function dnfSandbox(
  repoFile: string,
  credentials?: { username: string; password: string },
): DnfSandbox {
  const dir = scratch('dnf');
  const root = path.join(dir, 'root');
  for (const d of ['repos.d', 'cache', 'persist', 'log', 'root']) mkdirSync(path.join(dir, d));
  const repo = credentials
    ? `${repoFile.trimEnd()}\nusername=${credentials.username}\npassword=${credentials.password}\n`
    : repoFile;
  writeFileSync(path.join(dir, 'repos.d', 'wharf.repo'), repo);
  writeFileSync(
    path.join(dir, 'dnf.conf'),
    [
      '[main]',
      `reposdir=${path.join(dir, 'repos.d')}`,
      `cachedir=${path.join(dir, 'cache')}`,
      `persistdir=${path.join(dir, 'persist')}`,
      `logdir=${path.join(dir, 'log')}`,
      'gpgcheck=1',
      'localpkg_gpgcheck=1',
      'install_weak_deps=0',
      'skip_if_unavailable=0',
      'metadata_expire=0',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, HOME: dir, LC_ALL: 'C.UTF-8' };
  const exec = (cmd: string, args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile(cmd, args, { env, encoding: 'utf8', timeout: 240_000 }, (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed (${err.message}):\n${output}`));
        else resolve(output);
      });
    });
  return {
    dir,
    root,
    run: (...args) =>
      exec('dnf', [
        '-c',
        path.join(dir, 'dnf.conf'),
        `--installroot=${root}`,
        '--releasever=1',
        '--disableplugin=*',
        '--assumeyes',
        ...args,
      ]),
    rpm: (...args) => exec('rpm', ['--root', root, ...args]),
  };
}
