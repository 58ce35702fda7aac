import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/*
 * Builds real rpm packages with rpmbuild for tests (core's rpm reader, the RPM registry's
 * specs and end-to-end suites). Every spec is generated from a small description, built in
 * its own _topdir with HOME pointed at the work directory, so no ~/.rpmmacros is read.
 */

export interface RpmFileSpec {
  /** Absolute install path, `/usr/bin/hello`. */
  path: string;
  content?: string | Buffer;
  /** Octal mode string, `755`. */
  mode?: string;
  /** `%ghost`, `%config`, `%doc`, `%dir` put before the path in `%files`. */
  directive?: string;
  /** Makes it a symbolic link to this target instead of a file. */
  symlinkTo?: string;
}

export interface RpmSpecOptions {
  name: string;
  version: string;
  release?: string;
  epoch?: number;
  /** `x86_64` or `noarch` (rpmbuild builds what the host can). Default `noarch`. */
  arch?: string;
  summary?: string;
  description?: string;
  license?: string;
  url?: string;
  requires?: string[];
  provides?: string[];
  conflicts?: string[];
  obsoletes?: string[];
  files?: RpmFileSpec[];
  /** `%changelog` lines, as written in a spec file. */
  changelog?: string;
  /** rpmbuild's `_binary_payload`: `w9.gzdio`, `w2.xzdio`, `w19.zstdio`, `w9.bzdio`. */
  payload?: string;
  /** `AutoReqProv: no`: no automatic `/bin/sh` requirement (installs into an empty root). */
  noAutoDeps?: boolean;
}

/** Is rpmbuild installed (the `rpm` Debian package)? */
export function hasRpmbuild(): boolean {
  try {
    execFileSync('rpmbuild', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Builds the package under `workDir` and returns the path of the .rpm written. */
export function buildRpm(workDir: string, spec: RpmSpecOptions): string {
  const top = path.join(workDir, `top-${spec.name}-${spec.version}-${Date.now()}-${Math.random()}`);
  for (const sub of ['SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS', 'BUILDROOT'])
    mkdirSync(path.join(top, sub), { recursive: true });
  const files = spec.files ?? [
    { path: `/usr/share/${spec.name}/README`, content: `${spec.name} ${spec.version}\n` },
  ];
  const lines = [
    `Name: ${spec.name}`,
    `Version: ${spec.version}`,
    `Release: ${spec.release ?? '1'}`,
    ...(spec.epoch !== undefined ? [`Epoch: ${spec.epoch}`] : []),
    `Summary: ${spec.summary ?? `The ${spec.name} test package`}`,
    `License: ${spec.license ?? 'MIT'}`,
    ...(spec.url ? [`URL: ${spec.url}`] : []),
    `BuildArch: ${spec.arch ?? 'noarch'}`,
    ...(spec.noAutoDeps ? ['AutoReqProv: no'] : []),
    ...(spec.requires ?? []).map((r) => `Requires: ${r}`),
    ...(spec.provides ?? []).map((r) => `Provides: ${r}`),
    ...(spec.conflicts ?? []).map((r) => `Conflicts: ${r}`),
    ...(spec.obsoletes ?? []).map((r) => `Obsoletes: ${r}`),
    '',
    '%description',
    spec.description ?? `${spec.name}, built for Wharf's tests.`,
    '',
    '%install',
    ...files.flatMap((f, i) => {
      const target = `%{buildroot}${f.path}`;
      const dir = `mkdir -p "$(dirname "${target}")"`;
      if (f.directive === '%ghost') return [];
      if (f.directive === '%dir') return [`mkdir -p "${target}"`];
      if (f.symlinkTo) return [dir, `ln -s '${f.symlinkTo}' "${target}"`];
      writeFileSync(path.join(top, 'SOURCES', `file${i}`), f.content ?? '');
      return [
        dir,
        `install -m ${f.mode ?? '644'} "${path.join(top, 'SOURCES', `file${i}`)}" "${target}"`,
      ];
    }),
    '',
    '%files',
    ...files.map((f) => `${f.directive ?? ''} ${f.path}`.trim()),
    '',
    ...(spec.changelog ? ['%changelog', spec.changelog] : []),
  ];
  const specFile = path.join(top, 'SPECS', `${spec.name}.spec`);
  writeFileSync(specFile, lines.join('\n') + '\n');
  execFileSync(
    'rpmbuild',
    [
      '--define',
      `_topdir ${top}`,
      '--define',
      `_binary_payload ${spec.payload ?? 'w9.gzdio'}`,
      '--define',
      '_build_id_links none',
      '-bb',
      specFile,
    ],
    { env: { ...process.env, HOME: workDir, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const rpmsDir = path.join(top, 'RPMS', spec.arch ?? 'noarch');
  const built = readdirSync(rpmsDir).find((f) => f.endsWith('.rpm'));
  if (!built) throw new Error(`rpmbuild wrote no package into ${rpmsDir}`);
  return path.join(rpmsDir, built);
}

/**
 * `count` small noarch packages `{name}-{first}` … `{name}-{first+count-1}` (version `version`) from
 * one rpmbuild run, as subpackages of one spec: for suites that publish many artifacts,
 * where one rpmbuild per package would take minutes. Returns their paths, by index.
 */
export function buildRpmSet(
  workDir: string,
  name: string,
  version: string,
  count: number,
  first = 0,
): string[] {
  const top = path.join(workDir, `set-${name}-${Date.now()}-${Math.random()}`);
  for (const sub of ['SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS', 'BUILDROOT'])
    mkdirSync(path.join(top, sub), { recursive: true });
  const lines = [
    `Name: ${name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: ${name} test packages`,
    'License: MIT',
    'BuildArch: noarch',
    'AutoReqProv: no',
    '',
    '%description',
    `${name}, built for Wharf's tests.`,
  ];
  const ids = Array.from({ length: count }, (_, i) => first + i);
  for (const i of ids)
    lines.push(
      '',
      `%package -n ${name}-${i}`,
      `Summary: ${name}-${i}`,
      `%description -n ${name}-${i}`,
      `${name}-${i}, built for Wharf's tests.`,
      `%files -n ${name}-${i}`,
      `/usr/share/${name}/${i}`,
    );
  lines.push('', '%install', `mkdir -p %{buildroot}/usr/share/${name}`);
  for (const i of ids) lines.push(`echo ${i} > %{buildroot}/usr/share/${name}/${i}`);
  const specFile = path.join(top, 'SPECS', `${name}.spec`);
  writeFileSync(specFile, lines.join('\n') + '\n');
  execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', specFile], {
    env: { ...process.env, HOME: workDir, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dir = path.join(top, 'RPMS', 'noarch');
  return ids.map((i) => path.join(dir, `${name}-${i}-${version}-1.noarch.rpm`));
}
