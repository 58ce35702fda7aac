import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { HostileName, HOSTILE_NAMES } from '@wharf/packages-core/testing/hostile-names';
import { buildRpm } from '@wharf/packages-core/testing/rpmbuild';
import { describeEachBackend } from './support/backends';
import { ADMIN_ENV, createToken, createUser, PASSWORD } from './support/clients/accounts';
import { registryToken } from './support/clients/container';
import { npmTarball, publishDocument } from './support/clients/npm';
import { hasRpmbuild, rpmBytes, scratch } from './support/clients/rpm';
import { sourceArchive } from './support/clients/swift';
import { handMadeDeb } from './support/clients/debian';
import { pkgInfo } from './support/clients/arch';
import { basicAuth, KitRequest, multipart, send, storedState } from './support/format-kit';
import {
  ArchiveEntry,
  HOSTILE_TARS,
  HOSTILE_ZIPS,
  HostileArchive,
  tgzOf,
} from './support/format-kit/hostile-archives';
import { startTestApp, TestApp } from './support/test-app';

/*
 * Issue 11's corpus: every route of every landed format, read from the running app's router,
 * must be in ROUTES below (a route missing there fails the test, so a new format joins by
 * declaring its routes). Each name position of each route gets every hostile name,
 * percent-encoded as a client sends it; each upload route that reads an archive gets every
 * hostile archive. Every answer is a 4xx, and nothing is left: no row, object or temp file.
 */

const OWNER = 'hostile';
const enc = encodeURIComponent;
const pkgs = (type: string) => `/api/packages/${OWNER}/${type}`;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const DIGEST = `sha256:${sha256('nothing')}`;

/** One hostile request: which position of the route the value is in. */
interface Probe {
  position: string;
  /** The position is a file name: Windows device names are hostile there too. */
  fileName?: boolean;
  request: KitRequest | Promise<KitRequest>;
}

interface RouteCase {
  /** Requests carrying `v` in each of the route's name positions. */
  names?(v: string): Probe[];
  /** Requests uploading `archive` (the route reads archives of that kind). */
  archives?: {
    kind: 'tar' | 'zip';
    upload(a: HostileArchive): Promise<KitRequest>;
    /** Labels of that kind's archives the route stores by design, and why. */
    stores?: { labels: string[]; why: string };
  }[];
  /** Why the route takes no name (a route must say one or the other). */
  noNames?: string;
}

const at = (position: string, path: string, more: Partial<KitRequest> = {}, fileName = false) =>
  ({ position, fileName, request: { method: 'GET', path, ...more } }) as Probe;
const put = (body: Buffer | string, headers: Record<string, string> = {}) => ({
  method: 'PUT',
  body: Buffer.from(body),
  headers,
});

// ---- generic, maven -----------------------------------------------------------------------

const generic = (method: string, body?: Buffer): RouteCase => ({
  names: (v) => [
    at('name', `${pkgs('generic')}/${enc(v)}/1.0/f.bin`, { method, body }),
    at('version', `${pkgs('generic')}/g/${enc(v)}/f.bin`, { method, body }),
    at('file name', `${pkgs('generic')}/g/1.0/${enc(v)}`, { method, body }, true),
  ],
});
const maven = (method: string, body?: Buffer): RouteCase => ({
  names: (v) => [
    at('group segment', `${pkgs('maven')}/com/${enc(v)}/art/1.0/art-1.0.jar`, { method, body }),
    at('artifactId', `${pkgs('maven')}/com/g/${enc(v)}/1.0/art-1.0.jar`, { method, body }),
    at('version', `${pkgs('maven')}/com/g/art/${enc(v)}/art-1.0.jar`, { method, body }),
    at('file name', `${pkgs('maven')}/com/g/art/1.0/${enc(v)}`, { method, body }, true),
  ],
});

// ---- helm ---------------------------------------------------------------------------------

const chartYaml = (name: string, version: string): ArchiveEntry => ({
  name: 'chart/Chart.yaml',
  body: `apiVersion: v2\nname: ${JSON.stringify(name)}\nversion: ${JSON.stringify(version)}\n`,
});
const chart = (name = 'chart', version = '1.0.0') => tgzOf([chartYaml(name, version)]);
const helmUpload = (path: string, method: string) => (body: Buffer) => ({ method, path, body });
const helmArchives = (path: string, method: string): RouteCase['archives'] => [
  {
    kind: 'tar',
    upload: async (a) => helmUpload(path, method)(await a.build(chartYaml('chart', '1.0.0'))),
  },
];

// ---- npm ----------------------------------------------------------------------------------

const npmJson = (doc: unknown) => put(JSON.stringify(doc), { 'Content-Type': 'application/json' });
async function npmPublish(
  name: string,
  version: string,
  opts: { tarball?: Buffer; attachment?: string; tag?: string } = {},
): Promise<KitRequest> {
  const tarball =
    opts.tarball ?? (await npmTarball({ 'package.json': JSON.stringify({ name, version }) }));
  const doc = publishDocument({ name, version }, tarball, { tags: [opts.tag ?? 'latest'] });
  if (opts.attachment !== undefined) {
    const [data] = Object.values(doc._attachments as object);
    doc._attachments = { [opts.attachment]: data };
  }
  const path = `${pkgs('npm')}/${name.startsWith('@') ? name.split('/').map(enc).join('/') : enc(name)}`;
  return { path, ...npmJson(doc) };
}
const npmPackageJson = (): ArchiveEntry => ({
  name: 'package/package.json',
  body: JSON.stringify({ name: 'pkg', version: '1.0.0' }),
});
const npmPaths = (rest: string, v: string, method = 'GET', more: Partial<KitRequest> = {}) => [
  at('package name', `${pkgs('npm')}/${enc(v)}${rest}`, { method, ...more }),
  at('scope', `${pkgs('npm')}/${enc(v)}/pkg${rest}`, { method, ...more }),
  at('scoped name', `${pkgs('npm')}/@scope/${enc(v)}${rest}`, { method, ...more }),
];

// ---- pypi ---------------------------------------------------------------------------------

function pypiUpload(
  fields: { name?: string; version?: string },
  filename: string,
  content: Buffer,
): KitRequest {
  const form = multipart(
    {
      ':action': 'file_upload',
      protocol_version: '1',
      name: fields.name ?? 'pkg',
      version: fields.version ?? '1.0.0',
      metadata_version: '2.1',
      sha256_digest: sha256(content),
    },
    { field: 'content', filename, content },
  );
  return {
    method: 'POST',
    path: pkgs('pypi'),
    body: form.body,
    headers: { 'Content-Type': form.contentType },
  };
}
const PKG_INFO = 'Metadata-Version: 2.1\nName: pkg\nVersion: 1.0.0\n';

// ---- alt --------------------------------------------------------------------------------------

/** One noarch rpm from rpmbuild, built on first use (the probes all upload the same bytes). */
let altRpm: Buffer | undefined;
const ALT_RPM = (): Buffer =>
  (altRpm ??= readFileSync(
    buildRpm(mkdtempSync(path.join(os.tmpdir(), 'wharf-hostile-alt-')), {
      name: 'pkg',
      version: '1.0',
      release: 'alt1',
      arch: 'noarch',
    }),
  ));
const altPut = (p: string): KitRequest => ({
  method: 'PUT',
  path: `${pkgs('alt')}/${p}`,
  body: ALT_RPM(),
  headers: {},
});
const altPaths = (v: string, method: string): Probe[] => [
  at('group', `${pkgs('alt')}/${enc(v)}.repo/noarch/RPMS.classic/pkg-1.0-alt1.noarch.rpm`, {
    method,
  }),
  at(
    'architecture',
    `${pkgs('alt')}/alt.repo/${enc(v)}/RPMS.classic/pkg-1.0-alt1.noarch.rpm`,
    { method },
    true,
  ),
  at(
    'package file name',
    `${pkgs('alt')}/alt.repo/noarch/RPMS.classic/${enc(v)}`,
    { method },
    true,
  ),
];

// ---- cran -----------------------------------------------------------------------------------

const CRAN_DESCRIPTION: ArchiveEntry = {
  name: 'pkg/DESCRIPTION',
  body: 'Package: pkg\nVersion: 1.0\n',
};
const cranBinary = () => tgzOf([CRAN_DESCRIPTION]);
const cranUpload = (path: string, body: Buffer): KitRequest => ({
  method: 'PUT',
  path: `${pkgs('cran')}${path}`,
  body,
});

// ---- debian -------------------------------------------------------------------------------

const DEBIAN_CONTROL: ArchiveEntry = {
  name: './control',
  body: 'Package: pkg\nVersion: 2.0\nArchitecture: amd64\nDescription: d\n',
};
/** A .deb whose control.tar.gz is `controlTar` (the hostile archive, or a valid one). */
const debianUpload = async (path: string, controlTar: Promise<Buffer>): Promise<KitRequest> => ({
  method: 'PUT',
  path: `${pkgs('debian')}${path}`,
  body: await handMadeDeb('', { controlMember: await controlTar }),
});
const debianDists = (v: string, rest: (dist: string) => string, fileName = true): Probe =>
  at('distribution', `${pkgs('debian')}/dists/${rest(enc(v))}`, {}, fileName);

// ---- container ----------------------------------------------------------------------------

const image = (v: string, rest: string, method = 'GET', more: Partial<KitRequest> = {}) =>
  at('image name', `/v2/${OWNER}/${enc(v)}${rest}`, { method, ...more });
const nested = (v: string, rest: string, method = 'GET', more: Partial<KitRequest> = {}) =>
  at('nested image name', `/v2/${OWNER}/app/${enc(v)}${rest}`, { method, ...more });
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: DIGEST, size: 2 },
    layers: [],
  }),
);
const manifestHeaders = { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' };

// ---- nuget --------------------------------------------------------------------------------

const NUSPEC: ArchiveEntry = {
  name: 'Pkg.nuspec',
  body: '<?xml version="1.0"?><package><metadata><id>Pkg</id><version>1.0.0</version><authors>a</authors><description>d</description></metadata></package>',
};

// ---- vagrant ------------------------------------------------------------------------------

const VAGRANT_METADATA: ArchiveEntry = {
  name: 'metadata.json',
  body: JSON.stringify({ provider: 'virtualbox' }),
};
const VAGRANT_BOX = tgzOf([VAGRANT_METADATA]);
const vagrantPaths = (v: string, method: string, body?: Promise<Buffer>): Probe[] =>
  [
    ['box name', `${enc(v)}/1.0.0/virtualbox.box`, true],
    ['version', `box/${enc(v)}/virtualbox.box`, false],
    ['provider file', `box/1.0.0/${enc(v)}`, true],
    ['provider', `box/1.0.0/${enc(v)}.box`, true],
  ].map(([position, rest, fileName]) => ({
    position: position as string,
    fileName: fileName as boolean,
    request: (async () => ({
      method,
      path: `${pkgs('vagrant')}/${rest as string}`,
      body: body && (await body),
    }))(),
  }));

// ---- rpm ----------------------------------------------------------------------------------

/** A valid rpm (rpmbuild's), for the upload probes; undefined without rpmbuild. */
const RPM_PACKAGE: Buffer | undefined = hasRpmbuild()
  ? rpmBytes(scratch('hostile-rpm'), { name: 'pkg', version: '0.1' })
  : undefined;

// ---- alpine -------------------------------------------------------------------------------

/** The control segment's .PKGINFO of the alpine upload probes. */
const ALPINE_PKGINFO: ArchiveEntry = {
  name: '.PKGINFO',
  body: 'pkgname = pkg\npkgver = 1.0-r0\narch = x86_64\n',
};
/** An apk: a control segment (here the hostile archive's gzip member) and a data segment. */
const alpineApk = async (control: Promise<Buffer>): Promise<Buffer> =>
  Buffer.concat([await control, await tgzOf([{ name: 'usr/share/pkg/README', body: 'pkg\n' }])]);
const alpinePut = async (repo: string, control: Promise<Buffer>): Promise<KitRequest> => ({
  method: 'PUT',
  path: `${pkgs('alpine')}/${repo}`,
  body: await alpineApk(control),
  headers: {},
});
const alpineFile = (v: string, method = 'GET'): Probe[] => [
  at('branch', `${pkgs('alpine')}/${enc(v)}/main/x86_64/pkg-1.0-r0.apk`, { method }, true),
  at('repository', `${pkgs('alpine')}/v3.20/${enc(v)}/x86_64/pkg-1.0-r0.apk`, { method }, true),
  at('architecture', `${pkgs('alpine')}/v3.20/main/${enc(v)}/pkg-1.0-r0.apk`, { method }, true),
  at('file name', `${pkgs('alpine')}/v3.20/main/x86_64/${enc(v)}`, { method }, true),
];

// ---- arch ---------------------------------------------------------------------------------

const ARCH_PKGINFO: ArchiveEntry = {
  name: '.PKGINFO',
  body: pkgInfo({ pkgname: 'pkg', pkgver: '1.0-1', arch: 'x86_64' }),
};
const ARCH_PACKAGE = tgzOf([ARCH_PKGINFO, { name: 'usr/share/pkg/file', body: 'x' }]);
const archPut = (path: string, body: Promise<Buffer>) => async (): Promise<KitRequest> => ({
  method: 'PUT',
  path: `${pkgs('arch')}${path}`,
  body: await body,
});
const ARCH_FILE = 'pkg-1.0-1-x86_64.pkg.tar.gz';

// ---- conda --------------------------------------------------------------------------------

const condaIndexEntry = (name: string, version = '1.0'): ArchiveEntry => ({
  name: 'info/index.json',
  body: JSON.stringify({ name, version, build: 'py_0', subdir: 'noarch', depends: [] }),
});
const CONDA_PACKAGE = tgzOf([condaIndexEntry('pkg')]);
const condaPut = (path: string, body: Promise<Buffer>) => async (): Promise<KitRequest> => ({
  method: 'PUT',
  path: `${pkgs('conda')}/${path}`,
  body: await body,
});

// ---- swift --------------------------------------------------------------------------------

const SWIFT_MANIFEST: ArchiveEntry = {
  name: 'pkg/Package.swift',
  body: '// swift-tools-version:5.7\nimport PackageDescription\nlet package = Package(name: "pkg")\n',
};
const swiftPublish = (path: string, archive: Buffer): KitRequest => {
  const form = multipart({}, { field: 'source-archive', filename: 'pkg.zip', content: archive });
  return { method: 'PUT', path, body: form.body, headers: { 'Content-Type': form.contentType } };
};
const swiftPaths = (v: string, suffix = ''): Probe[] => [
  at('scope', `${pkgs('swift')}/${enc(v)}/pkg/1.0.0${suffix}`),
  at('package name', `${pkgs('swift')}/scope/${enc(v)}/1.0.0${suffix}`, {}, true),
  at('version', `${pkgs('swift')}/scope/pkg/${enc(v)}${suffix}`),
];

// ---- pub ----------------------------------------------------------------------------------

const PUBSPEC: ArchiveEntry = { name: 'pubspec.yaml', body: 'name: pkg\nversion: 1.0.0\n' };
const pubApi = (rest: string) => `${pkgs('pub')}/api/packages/${rest}`;
const pubUpload = (content: Buffer): KitRequest => {
  const form = multipart({}, { field: 'file', filename: 'package.tar.gz', content });
  return {
    method: 'POST',
    path: pubApi('versions/new/upload'),
    body: form.body,
    headers: { 'Content-Type': form.contentType },
  };
};

// ---- conan --------------------------------------------------------------------------------

// Every coordinate of a Conan route, with the value the probes keep when another one is probed.
const CONAN_DEFAULTS: Record<string, string> = {
  name: 'pkg',
  version: '1.0',
  user: 'user',
  channel: 'chan',
  rrev: 'a'.repeat(32),
  pkg: 'b'.repeat(40),
  prev: 'c'.repeat(32),
  file: 'conanfile.py',
};
const CONAN_RECIPE = '{name}/{version}/{user}/{channel}';

/** `v` in each `{coordinate}` of a Conan path template; every coordinate is a cache folder or file name. */
const conan = (template: string, method = 'GET', body?: Buffer | string): RouteCase => ({
  names: (v) =>
    [...template.matchAll(/\{(\w+)\}/g)].map(([, position]) =>
      at(
        position,
        `${pkgs('conan')}/${template.replace(/\{(\w+)\}/g, (_m, p: string) =>
          p === position ? enc(v) : CONAN_DEFAULTS[p],
        )}`,
        { method, body: body === undefined ? undefined : Buffer.from(body) },
        true,
      ),
    ),
});
const CONAN_V2 = `v2/conans/${CONAN_RECIPE}`;
const CONAN_RREV = `${CONAN_V2}/revisions/{rrev}`;
const CONAN_PKG = `${CONAN_RREV}/packages/{pkg}`;
const CONAN_PREV = `${CONAN_PKG}/revisions/{prev}`;
const CONAN_V1 = `v1/conans/${CONAN_RECIPE}`;
const CONAN_V1_FILES = `v1/files/${CONAN_RECIPE}/{rrev}`;
const conanExport = (path: string) => [
  {
    kind: 'tar' as const,
    upload: async (a: HostileArchive): Promise<KitRequest> => ({
      method: 'PUT',
      path: `${pkgs('conan')}/${path}`,
      body: await a.build({ name: 'CMakeLists.txt', body: 'project(pkg)' }),
    }),
  },
];
const conanDir = (route: string) => `/api/packages/:owner/conan/${route}`;
// ---- chef ---------------------------------------------------------------------------------

const cookbookJson = (name: string, version: string): ArchiveEntry => ({
  name: 'cb/metadata.json',
  body: JSON.stringify({ name, version }),
});
/** `knife supermarket share`'s form: the cookbook in the `tarball` part. */
const chefShare = async (tarball: Promise<Buffer>): Promise<KitRequest> => {
  const form = multipart({}, { field: 'tarball', filename: 'cb.tgz', content: await tarball });
  const headers = { 'Content-Type': form.contentType };
  return { method: 'POST', path: `${pkgs('chef')}/api/v1/cookbooks`, body: form.body, headers };
};
const cookbooks = `${pkgs('chef')}/api/v1/cookbooks`;
const chefVersion =
  (rest: string, method = 'GET') =>
  (v: string) => [
    at('cookbook name', `${cookbooks}/${enc(v)}/versions/1.0.0${rest}`, { method }),
    at('version', `${cookbooks}/cb/versions/${enc(v)}${rest}`, { method }),
  ];
// ---- go -----------------------------------------------------------------------------------

const GO_MOD: ArchiveEntry = {
  name: 'hostile.example/mod@v1.0.0/go.mod',
  body: 'module hostile.example/mod\n',
};

/**
 * Every route under `/api/packages/:owner/<type>/` and `/v2`, as the router lists them.
 * `*` is Express's wildcard: Maven's repository path, the container image name.
 */
const ROUTES: Record<string, RouteCase> = {
  'PUT /api/packages/:owner/generic/:name/:version/:filename': generic('PUT', Buffer.from('x')),
  'HEAD /api/packages/:owner/generic/:name/:version/:filename': generic('HEAD'),
  'GET /api/packages/:owner/generic/:name/:version/:filename': generic('GET'),
  'DELETE /api/packages/:owner/generic/:name/:version/:filename': generic('DELETE'),
  'DELETE /api/packages/:owner/generic/:name/:version': {
    names: (v) => [
      at('name', `${pkgs('generic')}/${enc(v)}/1.0`, { method: 'DELETE' }),
      at('version', `${pkgs('generic')}/g/${enc(v)}`, { method: 'DELETE' }),
    ],
  },

  'PUT /api/packages/:owner/maven/*': maven('PUT', Buffer.from('x')),
  'HEAD /api/packages/:owner/maven/*': maven('HEAD'),
  'GET /api/packages/:owner/maven/*': maven('GET'),

  'GET /api/packages/:owner/helm/index.yaml': { noNames: "the owner's whole index" },
  'POST /api/packages/:owner/helm/api/charts': {
    names: (v) => [
      {
        position: 'Chart.yaml name',
        request: chart(v).then(helmUpload(`${pkgs('helm')}/api/charts`, 'POST')),
      },
      {
        position: 'Chart.yaml version',
        request: chart('chart', v).then(helmUpload(`${pkgs('helm')}/api/charts`, 'POST')),
      },
    ],
    archives: helmArchives(`${pkgs('helm')}/api/charts`, 'POST'),
  },
  'PUT /api/packages/:owner/helm/:filename': {
    names: (v) => [
      {
        position: 'file name',
        fileName: true,
        request: chart().then(helmUpload(`${pkgs('helm')}/${enc(v)}`, 'PUT')),
      },
    ],
    archives: helmArchives(`${pkgs('helm')}/chart-1.0.0.tgz`, 'PUT'),
  },
  'GET /api/packages/:owner/helm/:filename': {
    names: (v) => [at('file name', `${pkgs('helm')}/${enc(v)}`, {}, true)],
  },

  'GET /api/packages/:owner/helm/api/charts': { noNames: "the owner's whole chart list" },
  'GET /api/packages/:owner/helm/api/charts/:name': {
    names: (v) => [at('chart name', `${pkgs('helm')}/api/charts/${enc(v)}`)],
  },
  'GET /api/packages/:owner/helm/api/charts/:name/:version': {
    names: (v) => [
      at('chart name', `${pkgs('helm')}/api/charts/${enc(v)}/1.0.0`),
      at('chart version', `${pkgs('helm')}/api/charts/chart/${enc(v)}`),
    ],
  },
  'DELETE /api/packages/:owner/helm/api/charts/:name/:version': {
    names: (v) => [
      at('chart name', `${pkgs('helm')}/api/charts/${enc(v)}/1.0.0`, { method: 'DELETE' }),
      at('chart version', `${pkgs('helm')}/api/charts/chart/${enc(v)}`, { method: 'DELETE' }),
    ],
  },

  'GET /api/packages/:owner/npm/-/ping': { noNames: 'a liveness probe' },
  'GET /api/packages/:owner/npm/-/whoami': { noNames: 'names the caller' },
  'POST /api/packages/:owner/npm/-/v1/login': { noNames: 'always refused (web login)' },
  'GET /api/packages/:owner/npm/-/v1/search': {
    noNames: 'the search text is a substring filter, never a name that is stored',
  },
  'PUT /api/packages/:owner/npm/-/user/:couchUser': {
    names: (v) => [
      at('user name', `${pkgs('npm')}/-/user/${enc(`org.couchdb.user:${v}`)}`, {
        ...npmJson({ name: v, password: 'not-the-password' }),
      }),
    ],
  },
  'GET /api/packages/:owner/npm/-/package/:pkg/dist-tags': {
    names: (v) => [at('package name', `${pkgs('npm')}/-/package/${enc(v)}/dist-tags`)],
  },
  'GET /api/packages/:owner/npm/-/package/:scope/:pkg/dist-tags': {
    names: (v) => [
      at('scope', `${pkgs('npm')}/-/package/${enc(v)}/pkg/dist-tags`),
      at('scoped name', `${pkgs('npm')}/-/package/@scope/${enc(v)}/dist-tags`),
    ],
  },
  'PUT /api/packages/:owner/npm/-/package/:pkg/dist-tags/:tag': {
    names: (v) => [
      at('package name', `${pkgs('npm')}/-/package/${enc(v)}/dist-tags/next`, npmJson('"1.0.0"')),
      at('dist-tag', `${pkgs('npm')}/-/package/pkg/dist-tags/${enc(v)}`, npmJson('"1.0.0"')),
    ],
  },
  'PUT /api/packages/:owner/npm/-/package/:scope/:pkg/dist-tags/:tag': {
    names: (v) => [
      at('scope', `${pkgs('npm')}/-/package/${enc(v)}/pkg/dist-tags/next`, npmJson('"1.0.0"')),
      at('dist-tag', `${pkgs('npm')}/-/package/@s/pkg/dist-tags/${enc(v)}`, npmJson('"1.0.0"')),
    ],
  },
  'DELETE /api/packages/:owner/npm/-/package/:pkg/dist-tags/:tag': {
    names: (v) => [
      at('package name', `${pkgs('npm')}/-/package/${enc(v)}/dist-tags/next`, {
        method: 'DELETE',
      }),
      at('dist-tag', `${pkgs('npm')}/-/package/pkg/dist-tags/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'DELETE /api/packages/:owner/npm/-/package/:scope/:pkg/dist-tags/:tag': {
    names: (v) => [
      at('scope', `${pkgs('npm')}/-/package/${enc(v)}/pkg/dist-tags/next`, { method: 'DELETE' }),
      at('dist-tag', `${pkgs('npm')}/-/package/@s/pkg/dist-tags/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'GET /api/packages/:owner/npm/:pkg': { names: (v) => npmPaths('', v).slice(0, 1) },
  'GET /api/packages/:owner/npm/:first/:second': {
    names: (v) => [
      ...npmPaths('', v).slice(1),
      at('version or tag', `${pkgs('npm')}/pkg/${enc(v)}`),
    ],
  },
  'PUT /api/packages/:owner/npm/:pkg': {
    names: (v) => [
      { position: 'URL name', request: npmPublish('pkg', '1.0.0').then(withPath(enc(v))) },
      { position: 'document name', request: npmPublish(v, '1.0.0').then(withPath('pkg')) },
      { position: 'version', request: npmPublish('pkg', v) },
      {
        position: 'attachment name',
        fileName: true,
        request: npmPublish('pkg', '1.0.0', { attachment: v }),
      },
      { position: 'dist-tag', request: npmPublish('pkg', '1.0.0', { tag: v }) },
    ],
    archives: [
      {
        kind: 'tar',
        upload: async (a) =>
          npmPublish('pkg', '1.0.0', { tarball: await a.build(npmPackageJson()) }),
      },
    ],
  },
  'PUT /api/packages/:owner/npm/:scope/:pkg': {
    names: (v) => [
      { position: 'scope', request: npmPublish('@s/pkg', '1.0.0').then(withPath(`${enc(v)}/pkg`)) },
      {
        position: 'scoped name',
        request: npmPublish('@s/pkg', '1.0.0').then(withPath(`@s/${enc(v)}`)),
      },
      {
        position: 'attachment name',
        fileName: true,
        request: npmPublish('@s/pkg', '1.0.0', { attachment: `@s/${v}` }),
      },
    ],
  },
  'PUT /api/packages/:owner/npm/:pkg/-rev/:rev': {
    names: (v) => [
      ...npmPaths('/-rev/1', v, 'PUT', npmJson({})).slice(0, 1),
      at('revision', `${pkgs('npm')}/pkg/-rev/${enc(v)}`, { ...npmJson({}) }),
    ],
  },
  'PUT /api/packages/:owner/npm/:scope/:pkg/-rev/:rev': {
    names: (v) => npmPaths('/-rev/1', v, 'PUT', npmJson({})).slice(1),
  },
  'DELETE /api/packages/:owner/npm/:pkg/-rev/:rev': {
    names: (v) => [
      ...npmPaths('/-rev/1', v, 'DELETE').slice(0, 1),
      at('revision', `${pkgs('npm')}/pkg/-rev/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'DELETE /api/packages/:owner/npm/:scope/:pkg/-rev/:rev': {
    names: (v) => npmPaths('/-rev/1', v, 'DELETE').slice(1),
  },
  'DELETE /api/packages/:owner/npm/:pkg/-/:version/:filename/-rev/:rev': {
    names: (v) => [
      ...npmPaths('/-/1.0.0/pkg-1.0.0.tgz/-rev/1', v, 'DELETE').slice(0, 1),
      at('version', `${pkgs('npm')}/pkg/-/${enc(v)}/pkg-1.0.0.tgz/-rev/1`, { method: 'DELETE' }),
      at('file name', `${pkgs('npm')}/pkg/-/1.0.0/${enc(v)}/-rev/1`, { method: 'DELETE' }, true),
      at('revision', `${pkgs('npm')}/pkg/-/1.0.0/pkg-1.0.0.tgz/-rev/${enc(v)}`, {
        method: 'DELETE',
      }),
    ],
  },
  'DELETE /api/packages/:owner/npm/:scope/:pkg/-/:version/:filename/-rev/:rev': {
    names: (v) => npmPaths('/-/1.0.0/pkg-1.0.0.tgz/-rev/1', v, 'DELETE').slice(1),
  },
  'GET /api/packages/:owner/npm/:pkg/-/:version/:filename': {
    names: (v) => [
      ...npmPaths('/-/1.0.0/pkg-1.0.0.tgz', v).slice(0, 1),
      at('version', `${pkgs('npm')}/pkg/-/${enc(v)}/pkg-1.0.0.tgz`),
      at('file name', `${pkgs('npm')}/pkg/-/1.0.0/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/npm/:scope/:pkg/-/:version/:filename': {
    names: (v) => npmPaths('/-/1.0.0/pkg-1.0.0.tgz', v).slice(1),
  },
  'GET /api/packages/:owner/npm/:pkg/-/:filename': {
    names: (v) => [
      ...npmPaths('/-/pkg-1.0.0.tgz', v).slice(0, 1),
      at('file name', `${pkgs('npm')}/pkg/-/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/npm/:scope/:pkg/-/:filename': {
    names: (v) => npmPaths('/-/pkg-1.0.0.tgz', v).slice(1),
  },

  'POST /api/packages/:owner/pypi': {
    names: (v) => [
      {
        position: 'project name',
        request: pypiUpload({ name: v }, 'pkg-1.0.0.tar.gz', Buffer.from('s')),
      },
      {
        position: 'version',
        request: pypiUpload({ version: v }, 'pkg-1.0.0.tar.gz', Buffer.from('s')),
      },
      { position: 'file name', fileName: true, request: pypiUpload({}, v, Buffer.from('s')) },
    ],
    // An sdist pip cannot read is stored, as Forgejo does: truncated and wrong-magic archives
    // are sent as wheels, whose METADATA must be read; the tar attacks go in as sdists.
    archives: [
      {
        kind: 'tar',
        upload: async (a) =>
          pypiUpload(
            {},
            'pkg-1.0.0.tar.gz',
            await a.build({ name: 'pkg-1.0.0/PKG-INFO', body: PKG_INFO }),
          ),
        stores: {
          labels: ['truncated archive', 'wrong magic (a zip where gzip is due)'],
          why: 'an unreadable sdist is stored, as Forgejo does; the wheel route refuses both',
        },
      },
      {
        kind: 'zip',
        upload: async (a) =>
          pypiUpload(
            {},
            'pkg-1.0.0-py3-none-any.whl',
            await a.build({ name: 'pkg-1.0.0.dist-info/METADATA', body: PKG_INFO }),
          ),
      },
    ],
  },
  'GET /api/packages/:owner/pypi/simple': { noNames: "the owner's project list" },
  'GET /api/packages/:owner/pypi/simple/:project': {
    names: (v) => [at('project name', `${pkgs('pypi')}/simple/${enc(v)}`)],
  },
  'GET /api/packages/:owner/pypi/files/:project/:version/:filename': {
    names: (v) => [
      at('project name', `${pkgs('pypi')}/files/${enc(v)}/1.0.0/pkg-1.0.0.tar.gz`),
      at('version', `${pkgs('pypi')}/files/pkg/${enc(v)}/pkg-1.0.0.tar.gz`),
      at('file name', `${pkgs('pypi')}/files/pkg/1.0.0/${enc(v)}`, {}, true),
    ],
  },

  // Cargo, Composer and RubyGems: every name in a URL or a form is probed. Their uploads take
  // names from inside the uploaded artifact (a crate's JSON, composer.json, a gemspec),
  // which this corpus does not build yet: each format's unit spec runs HOSTILE_NAMES there.
  'PUT /api/packages/:owner/cargo/api/v1/crates/new': {
    noNames: 'names come from the crate JSON of the publish body (cargo.metadata spec)',
  },
  'GET /api/packages/:owner/cargo/api/v1/crates': { noNames: 'search: `q` is a filter' },
  'GET /api/packages/:owner/cargo/api/v1/crates/:name/:version/download': {
    names: (v) => [
      at('crate name', `${pkgs('cargo')}/api/v1/crates/${enc(v)}/1.0.0/download`),
      at('version', `${pkgs('cargo')}/api/v1/crates/crate/${enc(v)}/download`),
    ],
  },
  'DELETE /api/packages/:owner/cargo/api/v1/crates/:name/:version/yank': {
    names: (v) => [
      at('crate name', `${pkgs('cargo')}/api/v1/crates/${enc(v)}/1.0.0/yank`, { method: 'DELETE' }),
      at('version', `${pkgs('cargo')}/api/v1/crates/crate/${enc(v)}/yank`, { method: 'DELETE' }),
    ],
  },
  'PUT /api/packages/:owner/cargo/api/v1/crates/:name/:version/unyank': {
    names: (v) => [
      at('crate name', `${pkgs('cargo')}/api/v1/crates/${enc(v)}/1.0.0/unyank`, { method: 'PUT' }),
      at('version', `${pkgs('cargo')}/api/v1/crates/crate/${enc(v)}/unyank`, { method: 'PUT' }),
    ],
  },
  'GET /api/packages/:owner/cargo/api/v1/crates/:name/owners': {
    names: (v) => [at('crate name', `${pkgs('cargo')}/api/v1/crates/${enc(v)}/owners`)],
  },
  'GET /api/packages/:owner/cargo/config.json': { noNames: 'the index configuration' },
  'GET /api/packages/:owner/cargo/1/:name': {
    names: (v) => [at('crate name', `${pkgs('cargo')}/1/${enc(v)}`)],
  },
  'GET /api/packages/:owner/cargo/2/:name': {
    names: (v) => [at('crate name', `${pkgs('cargo')}/2/${enc(v)}`)],
  },
  'GET /api/packages/:owner/cargo/3/:first/:name': {
    names: (v) => [
      at('prefix', `${pkgs('cargo')}/3/${enc(v)}/abc`),
      at('crate name', `${pkgs('cargo')}/3/a/${enc(v)}`),
    ],
  },
  'GET /api/packages/:owner/cargo/:ab/:cd/:name': {
    names: (v) => [
      at('prefix', `${pkgs('cargo')}/${enc(v)}/cd/abcd`),
      at('crate name', `${pkgs('cargo')}/ab/cd/${enc(v)}`),
    ],
  },

  'PUT /api/packages/:owner/composer': {
    noNames: 'names come from composer.json inside the uploaded archive (composer.metadata spec)',
  },
  'GET /api/packages/:owner/composer/packages.json': { noNames: 'the repository root document' },
  'GET /api/packages/:owner/composer/search.json': { noNames: 'search: `q` is a filter' },
  'GET /api/packages/:owner/composer/list.json': { noNames: "the owner's package list" },
  'GET /api/packages/:owner/composer/p2/:vendor/:file': {
    names: (v) => [
      at('vendor', `${pkgs('composer')}/p2/${enc(v)}/pkg.json`),
      at('package file', `${pkgs('composer')}/p2/vendor/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/composer/files/:package/:version/:filename': {
    names: (v) => [
      at('package', `${pkgs('composer')}/files/${enc(v)}/1.0.0/pkg.zip`),
      at('version', `${pkgs('composer')}/files/vendor%2Fpkg/${enc(v)}/pkg.zip`),
      at('file name', `${pkgs('composer')}/files/vendor%2Fpkg/1.0.0/${enc(v)}`, {}, true),
    ],
  },

  'POST /api/packages/:owner/rubygems/api/v1/gems': {
    noNames: 'names come from the gemspec inside the pushed gem (rubygems.metadata spec)',
  },
  'DELETE /api/packages/:owner/rubygems/api/v1/gems/yank': {
    names: (v) =>
      [`gem_name=${enc(v)}&version=1.0.0`, `gem_name=gem&version=${enc(v)}`].map((body, i) =>
        at(i ? 'version' : 'gem name', `${pkgs('rubygems')}/api/v1/gems/yank`, {
          method: 'DELETE',
          body: Buffer.from(body),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }),
      ),
  },
  'GET /api/packages/:owner/rubygems/specs.4.8.gz': { noNames: 'the legacy index' },
  'GET /api/packages/:owner/rubygems/latest_specs.4.8.gz': { noNames: 'the legacy index' },
  'GET /api/packages/:owner/rubygems/prerelease_specs.4.8.gz': { noNames: 'the legacy index' },
  'GET /api/packages/:owner/rubygems/quick/Marshal.4.8/:file': {
    names: (v) => [at('gemspec file', `${pkgs('rubygems')}/quick/Marshal.4.8/${enc(v)}`, {}, true)],
  },
  'GET /api/packages/:owner/rubygems/gems/:file': {
    names: (v) => [at('gem file', `${pkgs('rubygems')}/gems/${enc(v)}`, {}, true)],
  },
  'GET /api/packages/:owner/rubygems/versions': { noNames: 'the compact index root' },
  'GET /api/packages/:owner/rubygems/info/:name': {
    names: (v) => [at('gem name', `${pkgs('rubygems')}/info/${enc(v)}`)],
  },
  'GET /api/packages/:owner/rubygems/names': { noNames: 'the compact index name list' },
  'GET /api/packages/:owner/rubygems/api/v1/dependencies': {
    noNames: '`gems` is a list of names to look up, never stored',
  },

  // Swift: scope, name and version in the path; the source archive is a zip (SwiftPM's).
  'POST /api/packages/:owner/swift': { noNames: 'the login check' },
  'POST /api/packages/:owner/swift/login': { noNames: 'the login check' },
  'GET /api/packages/:owner/swift/identifiers': {
    noNames: '`url` is looked up among stored repository URLs, never stored',
  },
  'GET /api/packages/:owner/swift/:scope/:name': {
    names: (v) => [
      at('scope', `${pkgs('swift')}/${enc(v)}/pkg`),
      at('package name', `${pkgs('swift')}/scope/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/swift/:scope/:name/:version': {
    names: (v) => [...swiftPaths(v), ...swiftPaths(v, '.zip')],
  },
  'GET /api/packages/:owner/swift/:scope/:name/:version/Package.swift': {
    names: (v) => [
      ...swiftPaths(v, '/Package.swift'),
      at('swift version', `${pkgs('swift')}/scope/pkg/1.0.0/Package.swift?swift-version=${enc(v)}`),
    ],
  },
  'PUT /api/packages/:owner/swift/:scope/:name/:version': {
    names: (v) =>
      swiftPaths(v).map((p) => ({
        ...p,
        request: (async () => ({
          ...swiftPublish((p.request as KitRequest).path, Buffer.from('refused by its path first')),
        }))(),
      })),
    archives: [
      {
        kind: 'zip',
        upload: async (a) =>
          swiftPublish(`${pkgs('swift')}/scope/pkg/1.0.0`, await a.build(SWIFT_MANIFEST)),
      },
    ],
  },
  // pub: names and versions in the read paths; the upload's come from pubspec.yaml.
  'GET /api/packages/:owner/pub/api/packages/versions/new': { noNames: 'the upload URL' },
  'POST /api/packages/:owner/pub/api/packages/versions/new/upload': {
    noNames: 'names come from pubspec.yaml inside the uploaded archive (pub.metadata spec)',
    archives: [
      {
        kind: 'tar',
        upload: async (a) => pubUpload(await a.build(PUBSPEC)),
      },
    ],
  },
  'GET /api/packages/:owner/pub/api/packages/versions/new/finalize/:name/:version': {
    names: (v) => [
      at('package name', pubApi(`versions/new/finalize/${enc(v)}/1.0.0`)),
      at('version', pubApi(`versions/new/finalize/pkg/${enc(v)}`)),
    ],
  },
  'GET /api/packages/:owner/pub/api/packages/:name': {
    names: (v) => [at('package name', pubApi(enc(v)), {}, true)],
  },
  'GET /api/packages/:owner/pub/api/packages/:name/:version': {
    names: (v) => [
      at('package name', pubApi(`${enc(v)}/1.0.0`), {}, true),
      at('version', pubApi(`pkg/${enc(v)}`)),
    ],
  },
  'GET /api/packages/:owner/pub/api/packages/:name/files/:file': {
    names: (v) => [
      at('package name', pubApi(`${enc(v)}/files/1.0.0.tar.gz`), {}, true),
      at('archive file', pubApi(`pkg/files/${enc(v)}`), {}, true),
    ],
  },

  // Vagrant: every coordinate is in the path; the box is a tar of any compression or a zip.
  // Only the tar set runs here: the zip set's "wrong magic" is a gzip'd tar, itself a box;
  // test/vagrant.e2e-spec.ts runs the rest of the zip set.
  'GET /api/packages/:owner/vagrant/authenticate': { noNames: 'the token check' },
  'GET /api/packages/:owner/vagrant/:name': {
    names: (v) => [at('box name', `${pkgs('vagrant')}/${enc(v)}`, {}, true)],
  },
  'GET /api/packages/:owner/vagrant/:name/:version/:file': {
    names: (v) => vagrantPaths(v, 'GET'),
  },
  'PUT /api/packages/:owner/vagrant/:name/:version/:file': {
    names: (v) => vagrantPaths(v, 'PUT', VAGRANT_BOX),
    archives: [
      {
        kind: 'tar',
        upload: async (a) => ({
          method: 'PUT',
          path: `${pkgs('vagrant')}/box/1.0.0/virtualbox.box`,
          body: await a.build(VAGRANT_METADATA),
        }),
      },
    ],
  },
  'DELETE /api/packages/:owner/vagrant/:name/:version/:file': {
    names: (v) => vagrantPaths(v, 'DELETE'),
  },
  'DELETE /api/packages/:owner/vagrant/:name/:version': {
    names: (v) => [
      at('box name', `${pkgs('vagrant')}/${enc(v)}/1.0.0`, { method: 'DELETE' }, true),
      at('version', `${pkgs('vagrant')}/box/${enc(v)}`, { method: 'DELETE' }),
    ],
  },

  // conda: the channel, subdir and file segments of the path, and the name and version in
  // info/index.json; a .tar.bz2 is read as a tar of any compression (the tar set runs).
  'PUT /api/packages/:owner/conda/*': {
    names: (v) => [
      { position: 'channel', request: condaPut(`${enc(v)}/pkg.tar.bz2`, CONDA_PACKAGE)() },
      { position: 'file name', fileName: true, request: condaPut(enc(v), CONDA_PACKAGE)() },
      {
        position: 'index.json name',
        request: condaPut('pkg.tar.bz2', tgzOf([condaIndexEntry(v)]))(),
      },
      {
        position: 'index.json version',
        request: condaPut('pkg.tar.bz2', tgzOf([condaIndexEntry('pkg', v)]))(),
      },
    ],
    archives: [
      {
        kind: 'tar',
        upload: async (a) => condaPut('pkg.tar.bz2', a.build(condaIndexEntry('pkg', '2.0')))(),
      },
    ],
  },
  'GET /api/packages/:owner/conda/*': {
    names: (v) => [
      at('channel', `${pkgs('conda')}/${enc(v)}/noarch/repodata.json`),
      at('subdir', `${pkgs('conda')}/${enc(v)}/repodata.json`, {}, true),
      at('file name', `${pkgs('conda')}/noarch/${enc(v)}`, {}, true),
    ],
  },

  // rpm: the group in every route, and the name, version and architecture of the package
  // paths. An upload's names come from its rpm header, which rpmbuild will not write with
  // these values; its payload is cpio, refused for unsafe names in test/rpm.e2e-spec.ts.
  'GET /api/packages/:owner/rpm.repo': { noNames: "the empty group's .repo file" },
  'GET /api/packages/:owner/rpm/repository.key': { noNames: "the owner's public key" },
  'GET /api/packages/:owner/rpm/*': {
    names: (v) => [
      at('group of .repo', `${pkgs('rpm')}/${enc(v)}.repo`),
      at('group of repodata', `${pkgs('rpm')}/${enc(v)}/repodata/repomd.xml`),
      at('repodata file name', `${pkgs('rpm')}/el9/repodata/${enc(v)}`, {}, true),
      at('group of a package', `${pkgs('rpm')}/${enc(v)}/package/pkg/1.0-1/noarch`),
      at('package name', `${pkgs('rpm')}/el9/package/${enc(v)}/1.0-1/noarch`),
      at('package version', `${pkgs('rpm')}/el9/package/pkg/${enc(v)}/noarch`),
      at('package arch', `${pkgs('rpm')}/el9/package/pkg/1.0-1/${enc(v)}`),
    ],
  },
  'PUT /api/packages/:owner/rpm/*': {
    names: (v) => [at('group', `${pkgs('rpm')}/${enc(v)}/upload`, put(RPM_PACKAGE ?? 'not built'))],
  },
  'DELETE /api/packages/:owner/rpm/*': {
    names: (v) => [
      at('group', `${pkgs('rpm')}/${enc(v)}/package/pkg/1.0-1/noarch`, { method: 'DELETE' }),
      at('package name', `${pkgs('rpm')}/el9/package/${enc(v)}/1.0-1/noarch`, { method: 'DELETE' }),
      at('package version', `${pkgs('rpm')}/el9/package/pkg/${enc(v)}/noarch`, {
        method: 'DELETE',
      }),
      at('package arch', `${pkgs('rpm')}/el9/package/pkg/1.0-1/${enc(v)}`, { method: 'DELETE' }),
    ],
  },

  // alpine: the branch, repository, architecture and file name of every path; the upload's
  // names come from its .PKGINFO (alpine.metadata spec runs HOSTILE_NAMES there), and its
  // control segment is the archive the hostile tars replace.
  'GET /api/packages/:owner/alpine/key': { noNames: "the owner's public key" },
  'PUT /api/packages/:owner/alpine/:branch/:repository': {
    names: (v) => [
      {
        position: 'branch',
        fileName: true,
        request: alpinePut(`${enc(v)}/main`, tgzOf([ALPINE_PKGINFO])),
      },
      {
        position: 'repository',
        fileName: true,
        request: alpinePut(`v3.20/${enc(v)}`, tgzOf([ALPINE_PKGINFO])),
      },
    ],
    archives: [{ kind: 'tar', upload: (a) => alpinePut('v3.20/main', a.build(ALPINE_PKGINFO)) }],
  },
  'GET /api/packages/:owner/alpine/:branch/:repository/:arch/:file': {
    names: (v) => [
      ...alpineFile(v),
      at('index architecture', `${pkgs('alpine')}/v3.20/main/${enc(v)}/APKINDEX.tar.gz`, {}, true),
    ],
  },
  'DELETE /api/packages/:owner/alpine/:branch/:repository/:arch/:file': {
    names: (v) => alpineFile(v, 'DELETE'),
  },

  // arch: the repository in every route, the architecture and file name of downloads, the
  // package coordinates of deletes. An upload's names come from its .PKGINFO, one per line,
  // where a hostile value splits into other lines: test/arch.e2e-spec.ts refuses those.
  'GET /api/packages/:owner/arch/repository.key': { noNames: "the owner's public key" },
  'GET /api/packages/:owner/arch/*': {
    names: (v) => [
      at('repository', `${pkgs('arch')}/${enc(v)}/x86_64/core.db`),
      at('architecture', `${pkgs('arch')}/core/${enc(v)}/core.db`, {}, true),
      at('file name', `${pkgs('arch')}/core/x86_64/${enc(v)}`, {}, true),
    ],
  },
  'PUT /api/packages/:owner/arch': {
    noNames: 'the repository without a name: the names come from .PKGINFO',
    archives: [
      {
        kind: 'tar',
        upload: (a) => archPut('', a.build(ARCH_PKGINFO))(),
      },
    ],
  },
  'PUT /api/packages/:owner/arch/*': {
    names: (v) => [{ position: 'repository', request: archPut(`/${enc(v)}`, ARCH_PACKAGE)() }],
    archives: [
      {
        kind: 'tar',
        upload: (a) => archPut('/core', a.build(ARCH_PKGINFO))(),
      },
    ],
  },
  'DELETE /api/packages/:owner/arch/*': {
    names: (v) =>
      [
        ['repository', `${enc(v)}/pkg/1.0-1/x86_64`],
        ['package name', `core/${enc(v)}/1.0-1/x86_64`],
        ['package version', `core/pkg/${enc(v)}/x86_64`],
        ['architecture', `core/pkg/1.0-1/${enc(v)}`],
      ].map(([position, rest]) => at(position, `${pkgs('arch')}/${rest}`, { method: 'DELETE' })),
  },

  // Conan: every coordinate of every route; the archives a recipe or package carries.
  'GET /api/packages/:owner/conan/v1/ping': { noNames: 'the capabilities' },
  'GET /api/packages/:owner/conan/v2/ping': { noNames: 'the capabilities' },
  'GET /api/packages/:owner/conan/v1/users/authenticate': { noNames: 'the token exchange' },
  'GET /api/packages/:owner/conan/v2/users/authenticate': { noNames: 'the token exchange' },
  'GET /api/packages/:owner/conan/v1/users/check_credentials': { noNames: 'the token check' },
  'GET /api/packages/:owner/conan/v2/users/check_credentials': { noNames: 'the token check' },
  'GET /api/packages/:owner/conan/v1/conans/search': { noNames: 'search: `q` is a filter' },
  'GET /api/packages/:owner/conan/v2/conans/search': { noNames: 'search: `q` is a filter' },
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/latest')}`]: conan(
    `${CONAN_V2}/latest`,
  ),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions')}`]: conan(
    `${CONAN_V2}/revisions`,
  ),
  [`DELETE ${conanDir('v2/conans/:name/:version/:user/:channel')}`]: conan(CONAN_V2, 'DELETE'),
  [`DELETE ${conanDir('v1/conans/:name/:version/:user/:channel')}`]: conan(CONAN_V1, 'DELETE'),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/search')}`]: conan(
    `${CONAN_V2}/search`,
  ),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/search')}`]: conan(
    `${CONAN_RREV}/search`,
  ),
  [`DELETE ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev')}`]: conan(
    CONAN_RREV,
    'DELETE',
  ),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/files')}`]: conan(
    `${CONAN_RREV}/files`,
  ),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/files/:file')}`]: conan(
    `${CONAN_RREV}/files/{file}`,
  ),
  [`GET ${conanDir('v1/files/:name/:version/:user/:channel/:rrev/recipe/:file')}`]: conan(
    `${CONAN_V1_FILES}/recipe/{file}`,
  ),
  [`PUT ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/files/:file')}`]: {
    ...conan(`${CONAN_RREV}/files/{file}`, 'PUT', 'class Pkg: pass\n'),
    archives: conanExport(
      `v2/conans/pkg/1.0/_/_/revisions/${CONAN_DEFAULTS.rrev}/files/conan_export.tgz`,
    ),
  },
  [`PUT ${conanDir('v1/files/:name/:version/:user/:channel/:rrev/recipe/:file')}`]: {
    ...conan(`${CONAN_V1_FILES}/recipe/{file}`, 'PUT', 'class Pkg: pass\n'),
    archives: conanExport('v1/files/pkg/1.0/_/_/0/recipe/conan_sources.tgz'),
  },
  [`PUT ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/files/*')}`]: {
    noNames: 'Conan metadata files: every one is refused with 400',
  },
  [`PUT ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions/:prev/files/*')}`]:
    { noNames: 'Conan metadata files: every one is refused with 400' },
  [`DELETE ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages')}`]: conan(
    `${CONAN_RREV}/packages`,
    'DELETE',
  ),
  [`DELETE ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg')}`]:
    conan(CONAN_PKG, 'DELETE'),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/latest')}`]:
    conan(`${CONAN_PKG}/latest`),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions')}`]:
    conan(`${CONAN_PKG}/revisions`),
  [`DELETE ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions/:prev')}`]:
    conan(CONAN_PREV, 'DELETE'),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions/:prev/files')}`]:
    conan(`${CONAN_PREV}/files`),
  [`GET ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions/:prev/files/:file')}`]:
    conan(`${CONAN_PREV}/files/{file}`),
  [`GET ${conanDir('v1/files/:name/:version/:user/:channel/:rrev/package/:pkg/:prev/:file')}`]:
    conan(`${CONAN_V1_FILES}/package/{pkg}/{prev}/{file}`),
  [`PUT ${conanDir('v2/conans/:name/:version/:user/:channel/revisions/:rrev/packages/:pkg/revisions/:prev/files/:file')}`]:
    conan(`${CONAN_PREV}/files/{file}`, 'PUT', '[settings]\n'),
  [`PUT ${conanDir('v1/files/:name/:version/:user/:channel/:rrev/package/:pkg/:prev/:file')}`]:
    conan(`${CONAN_V1_FILES}/package/{pkg}/{prev}/{file}`, 'PUT', '[settings]\n'),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel')}`]: conan(CONAN_V1),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/search')}`]: conan(
    `${CONAN_V1}/search`,
  ),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/digest')}`]: conan(
    `${CONAN_V1}/digest`,
  ),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/download_urls')}`]: conan(
    `${CONAN_V1}/download_urls`,
  ),
  [`POST ${conanDir('v1/conans/:name/:version/:user/:channel/upload_urls')}`]: conan(
    `${CONAN_V1}/upload_urls`,
    'POST',
    '{"conanfile.py": 10}',
  ),
  [`POST ${conanDir('v1/conans/:name/:version/:user/:channel/packages/delete')}`]: conan(
    `${CONAN_V1}/packages/delete`,
    'POST',
    '{"package_ids": []}',
  ),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/packages/:pkg')}`]: conan(
    `${CONAN_V1}/packages/{pkg}`,
  ),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/packages/:pkg/digest')}`]: conan(
    `${CONAN_V1}/packages/{pkg}/digest`,
  ),
  [`GET ${conanDir('v1/conans/:name/:version/:user/:channel/packages/:pkg/download_urls')}`]: conan(
    `${CONAN_V1}/packages/{pkg}/download_urls`,
  ),
  [`POST ${conanDir('v1/conans/:name/:version/:user/:channel/packages/:pkg/upload_urls')}`]: conan(
    `${CONAN_V1}/packages/{pkg}/upload_urls`,
    'POST',
    '{"conaninfo.txt": 10}',
  ),
  'GET /api/packages/:owner/chef/api/v1/universe': { noNames: "the owner's whole universe" },
  'GET /api/packages/:owner/chef/api/v1/search': { noNames: 'search: `q` is a filter' },
  'GET /api/packages/:owner/chef/api/v1/cookbooks': { noNames: "the owner's cookbook list" },
  'POST /api/packages/:owner/chef/api/v1/cookbooks': {
    names: (v) => [
      { position: 'metadata.json name', request: chefShare(tgzOf([cookbookJson(v, '1.0.0')])) },
      { position: 'metadata.json version', request: chefShare(tgzOf([cookbookJson('cb', v)])) },
    ],
    archives: [{ kind: 'tar', upload: (a) => chefShare(a.build(cookbookJson('cb', '1.0.0'))) }],
  },
  'GET /api/packages/:owner/chef/api/v1/cookbooks/:name': {
    names: (v) => [at('cookbook name', `${cookbooks}/${enc(v)}`)],
  },
  'DELETE /api/packages/:owner/chef/api/v1/cookbooks/:name': {
    names: (v) => [at('cookbook name', `${cookbooks}/${enc(v)}`, { method: 'DELETE' })],
  },
  'GET /api/packages/:owner/chef/api/v1/cookbooks/:name/versions/:version': {
    names: chefVersion(''),
  },
  'DELETE /api/packages/:owner/chef/api/v1/cookbooks/:name/versions/:version': {
    names: chefVersion('', 'DELETE'),
  },
  'GET /api/packages/:owner/chef/api/v1/cookbooks/:name/versions/:version/download': {
    names: chefVersion('/download'),
  },
  // The GOPROXY paths are one wildcard route: a module path (with its slashes) and a version.
  'PUT /api/packages/:owner/go/upload': {
    names: (v) => [at('module path (?module=)', `${pkgs('go')}/upload?module=${enc(v)}`, put('x'))],
    archives: [
      {
        kind: 'zip',
        upload: async (a) => ({
          method: 'PUT',
          path: `${pkgs('go')}/upload`,
          body: await a.build(GO_MOD),
        }),
      },
    ],
  },
  'GET /api/packages/:owner/go/*': {
    names: (v) => [
      at('module path', `${pkgs('go')}/${enc(v)}/@v/list`),
      at('module path', `${pkgs('go')}/example.com/${enc(v)}/@latest`),
      at('version', `${pkgs('go')}/example.com/mod/@v/${enc(v)}.info`),
      at('version', `${pkgs('go')}/example.com/mod/@v/${enc(v)}.zip`),
    ],
  },

  // ALT: the group (segments before `/upload` and `.repo`), the architecture and file name
  // segments; names inside the rpm are its header's (alt.metadata grammars). The payload is
  // cpio, not tar or zip: the e2e suite sends the `../x` entry and the bomb.
  'PUT /api/packages/:owner/alt/*': {
    names: (v) => [{ position: 'group', request: altPut(`${enc(v)}/upload`) }],
  },
  'GET /api/packages/:owner/alt/*': {
    names: (v) => [
      ...altPaths(v, 'GET'),
      at('group of the config', `${pkgs('alt')}/${enc(v)}.repo`),
      at('architecture of base/', `${pkgs('alt')}/alt.repo/${enc(v)}/base/release`, {}, true),
    ],
  },
  'DELETE /api/packages/:owner/alt/*': { names: (v) => altPaths(v, 'DELETE') },
  // Debian: the distribution, component, architecture and file of each path; names in an
  // upload come from its control file (debian.metadata spec runs HOSTILE_NAMES there).
  'GET /api/packages/:owner/debian/repository.key': {
    noNames: 'a fixed path',
  },
  'GET /api/packages/:owner/debian/dists/:dist/by-hash/:algorithm/:digest': {
    names: (v) => [
      debianDists(v, (d) => `${d}/by-hash/SHA256/${sha256('x')}`),
      at('algorithm', `${pkgs('debian')}/dists/stable/by-hash/${enc(v)}/${sha256('x')}`),
      at('digest', `${pkgs('debian')}/dists/stable/by-hash/SHA256/${enc(v)}`),
    ],
  },
  'GET /api/packages/:owner/debian/dists/:dist/:file': {
    names: (v) => [
      debianDists(v, (d) => `${d}/InRelease`),
      at('file name', `${pkgs('debian')}/dists/stable/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/debian/dists/:dist/:component/:arch/by-hash/:algorithm/:digest': {
    names: (v) => [
      debianDists(v, (d) => `${d}/main/binary-amd64/by-hash/SHA256/${sha256('x')}`),
      at(
        'component',
        `${pkgs('debian')}/dists/stable/${enc(v)}/binary-amd64/by-hash/SHA256/${sha256('x')}`,
        {},
        true,
      ),
      at(
        'architecture',
        `${pkgs('debian')}/dists/stable/main/${enc(v)}/by-hash/SHA256/${sha256('x')}`,
        {},
        true,
      ),
      at(
        'algorithm',
        `${pkgs('debian')}/dists/stable/main/binary-amd64/by-hash/${enc(v)}/${sha256('x')}`,
      ),
      at('digest', `${pkgs('debian')}/dists/stable/main/binary-amd64/by-hash/SHA256/${enc(v)}`),
    ],
  },
  'GET /api/packages/:owner/debian/dists/:dist/:component/:arch/:file': {
    names: (v) => [
      debianDists(v, (d) => `${d}/main/binary-amd64/Packages`),
      at('component', `${pkgs('debian')}/dists/stable/${enc(v)}/binary-amd64/Packages`, {}, true),
      at('architecture', `${pkgs('debian')}/dists/stable/main/binary-${enc(v)}/Packages`, {}, true),
      at('file name', `${pkgs('debian')}/dists/stable/main/binary-amd64/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/debian/pool/:dist/:component/:file': {
    names: (v) => [
      at('distribution', `${pkgs('debian')}/pool/${enc(v)}/main/pkg_1.0_amd64.deb`, {}, true),
      at('component', `${pkgs('debian')}/pool/stable/${enc(v)}/pkg_1.0_amd64.deb`, {}, true),
      at('file name', `${pkgs('debian')}/pool/stable/main/${enc(v)}`, {}, true),
    ],
  },
  'PUT /api/packages/:owner/debian/pool/:dist/:component/upload': {
    names: (v) => [
      {
        position: 'distribution',
        fileName: true,
        request: debianUpload(`/pool/${enc(v)}/main/upload`, tgzOf([DEBIAN_CONTROL])),
      },
      {
        position: 'component',
        fileName: true,
        request: debianUpload(`/pool/stable/${enc(v)}/upload`, tgzOf([DEBIAN_CONTROL])),
      },
    ],
    archives: [
      {
        kind: 'tar',
        upload: (a) => debianUpload('/pool/stable/main/upload', a.build(DEBIAN_CONTROL)),
      },
    ],
  },
  'DELETE /api/packages/:owner/debian/pool/:dist/:component/:name/:version/:arch': {
    names: (v) => [
      at(
        'distribution',
        `${pkgs('debian')}/pool/${enc(v)}/main/pkg/1.0/amd64`,
        { method: 'DELETE' },
        true,
      ),
      at(
        'component',
        `${pkgs('debian')}/pool/stable/${enc(v)}/pkg/1.0/amd64`,
        { method: 'DELETE' },
        true,
      ),
      at(
        'package name',
        `${pkgs('debian')}/pool/stable/main/${enc(v)}/1.0/amd64`,
        { method: 'DELETE' },
        true,
      ),
      at('version', `${pkgs('debian')}/pool/stable/main/pkg/${enc(v)}/amd64`, { method: 'DELETE' }),
      at(
        'architecture',
        `${pkgs('debian')}/pool/stable/main/pkg/1.0/${enc(v)}`,
        { method: 'DELETE' },
        true,
      ),
    ],
  },

  // CRAN: names in the upload come from DESCRIPTION (cran.metadata spec runs HOSTILE_NAMES);
  // the binary directory is named by the query and by the download paths.
  'PUT /api/packages/:owner/cran/src': {
    noNames: 'names come from DESCRIPTION inside the uploaded archive (cran.metadata spec)',
    archives: [
      { kind: 'tar', upload: async (a) => cranUpload('/src', await a.build(CRAN_DESCRIPTION)) },
    ],
  },
  'PUT /api/packages/:owner/cran/bin': {
    names: (v) => [
      {
        position: 'binary platform',
        fileName: true,
        request: cranBinary().then((b) => cranUpload(`/bin?platform=${enc(v)}&rversion=4.2`, b)),
      },
      {
        position: 'R version',
        request: cranBinary().then((b) => cranUpload(`/bin?platform=macosx&rversion=${enc(v)}`, b)),
      },
    ],
    // A macOS .tgz; the zip attacks are not sent here because a gzip'd tar where a zip is
    // due is a valid macOS binary on this route (cran-archive spec and e2e cover zips).
    archives: [
      {
        kind: 'tar',
        upload: async (a) =>
          cranUpload('/bin?platform=macosx&rversion=4.2', await a.build(CRAN_DESCRIPTION)),
      },
    ],
  },
  'GET /api/packages/:owner/cran/src/contrib/:file': {
    names: (v) => [at('file name', `${pkgs('cran')}/src/contrib/${enc(v)}`, {}, true)],
  },
  'GET /api/packages/:owner/cran/src/contrib/Archive/:name/:file': {
    names: (v) => [
      at('package name', `${pkgs('cran')}/src/contrib/Archive/${enc(v)}/pkg_1.0.tar.gz`),
      at('file name', `${pkgs('cran')}/src/contrib/Archive/pkg/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/cran/bin/:platform/contrib/:rversion/:file': {
    names: (v) => [
      at('binary platform', `${pkgs('cran')}/bin/${enc(v)}/contrib/4.2/PACKAGES`, {}, true),
      at('R version', `${pkgs('cran')}/bin/windows/contrib/${enc(v)}/PACKAGES`),
      at('file name', `${pkgs('cran')}/bin/windows/contrib/4.2/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/cran/bin/:platform/:build/contrib/:rversion/:file': {
    names: (v) => [
      at('binary platform', `${pkgs('cran')}/bin/${enc(v)}/arm64/contrib/4.2/PACKAGES`, {}, true),
      at('binary build', `${pkgs('cran')}/bin/macosx/${enc(v)}/contrib/4.2/PACKAGES`, {}, true),
      at('R version', `${pkgs('cran')}/bin/macosx/arm64/contrib/${enc(v)}/PACKAGES`),
      at('file name', `${pkgs('cran')}/bin/macosx/arm64/contrib/4.2/${enc(v)}`, {}, true),
    ],
  },
  // NuGet: ids and versions come from the .nuspec of the pushed package; the routes name
  // them in the flat container, registration, symbol and OData paths.
  'GET /api/packages/:owner/nuget': { noNames: 'the v2 service document' },
  'GET /api/packages/:owner/nuget/index.json': { noNames: 'the v3 service index' },
  'GET /api/packages/:owner/nuget/query': { noNames: 'search: `q` is a filter' },
  'PUT /api/packages/:owner/nuget': {
    noNames: 'names come from the .nuspec inside the pushed .nupkg (nuget.metadata spec)',
    archives: [
      {
        kind: 'zip',
        upload: async (a) => ({ path: pkgs('nuget'), ...put(await a.build(NUSPEC)) }),
      },
    ],
  },
  'PUT /api/packages/:owner/nuget/symbolpackage': {
    noNames: 'names come from the .nuspec inside the pushed .snupkg',
  },
  'GET /api/packages/:owner/nuget/registration/:id/index.json': {
    names: (v) => [at('id', `${pkgs('nuget')}/registration/${enc(v)}/index.json`)],
  },
  'GET /api/packages/:owner/nuget/registration/:id/:leaf': {
    names: (v) => [
      at('id', `${pkgs('nuget')}/registration/${enc(v)}/1.0.0.json`),
      at('version', `${pkgs('nuget')}/registration/pkg/${enc(v)}`),
    ],
  },
  'GET /api/packages/:owner/nuget/package/:id/index.json': {
    names: (v) => [at('id', `${pkgs('nuget')}/package/${enc(v)}/index.json`)],
  },
  'GET /api/packages/:owner/nuget/package/:id/:version/:filename': {
    names: (v) => [
      at('id', `${pkgs('nuget')}/package/${enc(v)}/1.0.0/pkg.1.0.0.nupkg`),
      at('version', `${pkgs('nuget')}/package/pkg/${enc(v)}/pkg.1.0.0.nupkg`),
      at('file name', `${pkgs('nuget')}/package/pkg/1.0.0/${enc(v)}`, {}, true),
    ],
  },
  'GET /api/packages/:owner/nuget/symbols/:file/:key/:file2': {
    names: (v) => [
      at(
        'file',
        `${pkgs('nuget')}/symbols/${enc(v)}/${'0'.repeat(32)}FFFFFFFF/${enc(v)}`,
        {},
        true,
      ),
      at('key', `${pkgs('nuget')}/symbols/a.pdb/${enc(v)}/a.pdb`),
    ],
  },
  'DELETE /api/packages/:owner/nuget/:id/:version': {
    names: (v) => [
      at('id', `${pkgs('nuget')}/${enc(v)}/1.0.0`, { method: 'DELETE' }),
      at('version', `${pkgs('nuget')}/pkg/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'GET /api/packages/:owner/nuget/:segment': {
    names: (v) => [
      at('resource', `${pkgs('nuget')}/${enc(v)}`),
      at('entry id', `${pkgs('nuget')}/${enc(`Packages(Id='${v}',Version='1.0.0')`)}`),
      at('entry version', `${pkgs('nuget')}/${enc(`Packages(Id='pkg',Version='${v}')`)}`),
      at('FindPackagesById id', `${pkgs('nuget')}/FindPackagesById()?id=${enc(`'${v}'`)}`),
    ],
  },
  'GET /api/packages/:owner/nuget/:segment/:count': {
    names: (v) => [
      at('FindPackagesById id', `${pkgs('nuget')}/FindPackagesById()/$count?id=${enc(`'${v}'`)}`),
    ],
  },

  'GET /v2': { noNames: 'the version check' },
  'GET /v2/token': { noNames: 'the token service: a scope names images, nothing is stored' },
  'POST /v2/token': { noNames: 'the OAuth2 token form: as GET /v2/token' },
  'GET /v2/_catalog': { noNames: 'the list of images' },
  'HEAD /v2/:owner/*/blobs/:digest': {
    names: (v) => [
      image(v, `/blobs/${DIGEST}`, 'HEAD'),
      at('digest', `/v2/${OWNER}/app/blobs/${enc(v)}`, { method: 'HEAD' }),
    ],
  },
  'GET /v2/:owner/*/blobs/:digest': {
    names: (v) => [
      image(v, `/blobs/${DIGEST}`),
      nested(v, `/blobs/${DIGEST}`),
      at('digest', `/v2/${OWNER}/app/blobs/${enc(v)}`),
    ],
  },
  'DELETE /v2/:owner/*/blobs/:digest': {
    names: (v) => [
      image(v, `/blobs/${DIGEST}`, 'DELETE'),
      at('digest', `/v2/${OWNER}/app/blobs/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'POST /v2/:owner/*/blobs/uploads': {
    names: (v) => [
      image(v, `/blobs/uploads/?digest=sha256:${sha256('x')}`, 'POST', { body: Buffer.from('x') }),
      nested(v, '/blobs/uploads/', 'POST'),
      at('digest', `/v2/${OWNER}/app/blobs/uploads/?digest=${enc(v)}`, {
        method: 'POST',
        body: Buffer.from('x'),
      }),
    ],
  },
  'GET /v2/:owner/*/blobs/uploads/:uuid': {
    names: (v) => [
      image(v, '/blobs/uploads/0123'),
      at('upload id', `/v2/${OWNER}/app/blobs/uploads/${enc(v)}`),
    ],
  },
  'PATCH /v2/:owner/*/blobs/uploads/:uuid': {
    names: (v) => [
      image(v, '/blobs/uploads/0123', 'PATCH', { body: Buffer.from('x') }),
      at('upload id', `/v2/${OWNER}/app/blobs/uploads/${enc(v)}`, {
        method: 'PATCH',
        body: Buffer.from('x'),
      }),
    ],
  },
  'PUT /v2/:owner/*/blobs/uploads/:uuid': {
    names: (v) => [
      image(v, `/blobs/uploads/0123?digest=${DIGEST}`, 'PUT'),
      at('upload id', `/v2/${OWNER}/app/blobs/uploads/${enc(v)}?digest=${DIGEST}`, {
        method: 'PUT',
      }),
    ],
  },
  'DELETE /v2/:owner/*/blobs/uploads/:uuid': {
    names: (v) => [
      image(v, '/blobs/uploads/0123', 'DELETE'),
      at('upload id', `/v2/${OWNER}/app/blobs/uploads/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'HEAD /v2/:owner/*/manifests/:reference': {
    names: (v) => [
      image(v, '/manifests/latest', 'HEAD'),
      at('reference', `/v2/${OWNER}/app/manifests/${enc(v)}`, { method: 'HEAD' }),
    ],
  },
  'GET /v2/:owner/*/manifests/:reference': {
    names: (v) => [
      image(v, '/manifests/latest'),
      at('reference', `/v2/${OWNER}/app/manifests/${enc(v)}`),
    ],
  },
  'PUT /v2/:owner/*/manifests/:reference': {
    names: (v) => [
      image(v, '/manifests/latest', 'PUT', { body: MANIFEST, headers: manifestHeaders }),
      nested(v, '/manifests/latest', 'PUT', { body: MANIFEST, headers: manifestHeaders }),
      at('reference', `/v2/${OWNER}/app/manifests/${enc(v)}`, {
        method: 'PUT',
        body: MANIFEST,
        headers: manifestHeaders,
      }),
    ],
  },
  'DELETE /v2/:owner/*/manifests/:reference': {
    names: (v) => [
      image(v, '/manifests/latest', 'DELETE'),
      at('reference', `/v2/${OWNER}/app/manifests/${enc(v)}`, { method: 'DELETE' }),
    ],
  },
  'GET /v2/:owner/*/tags/list': { names: (v) => [image(v, '/tags/list')] },
  'GET /v2/:owner/*/referrers/:digest': {
    names: (v) => [
      image(v, `/referrers/${DIGEST}`),
      at('digest', `/v2/${OWNER}/app/referrers/${enc(v)}`),
    ],
  },
  // The registry's catch-all: a 404 in the OCI body for any path no route above takes.
  'ALL /v2/*': { noNames: 'the OCI 404 for paths no other route takes' },
};

function withPath(segment: string) {
  return (req: KitRequest): KitRequest => ({ ...req, path: `${pkgs('npm')}/${segment}` });
}

/** `METHOD path` of every route of the formats, from the Express router of the running app. */
function formatRoutes(t: TestApp): string[] {
  const express = t.app.getHttpAdapter().getInstance() as Express & {
    _router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const routes = new Set<string>();
  for (const layer of express._router.stack) {
    const route = layer.route;
    // `…/rpm.repo` too: Forgejo serves the empty group's .repo beside the rpm base.
    if (!route || !/^\/api\/packages\/:owner\/[a-z]+(\/|\.repo$|$)|^\/v2(\/|$)/.test(route.path))
      continue;
    const methods = Object.keys(route.methods).filter((m) => m !== '_all');
    // `@All()` registers every method Node knows: one entry.
    if (methods.length > 20) routes.add(`ALL ${route.path}`);
    else for (const method of methods) routes.add(`${method.toUpperCase()} ${route.path}`);
  }
  return [...routes].sort();
}

async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const hostileFor = (probe: Probe) => (h: HostileName) => !h.fileNameOnly || probe.fileName;

describeEachBackend('hostile corpus', (backend) => {
  let t: TestApp;
  let auth: Record<string, string>;
  let bearer: Record<string, string>;

  beforeAll(async () => {
    t = await startTestApp(backend, ADMIN_ENV);
    await createUser(t.url, OWNER);
    // A token, not the password: a password is hashed slowly on purpose, for every request.
    auth = basicAuth(OWNER, await createToken(t.url, OWNER, ['write:package']));
    bearer = { Authorization: `Bearer ${await registryToken(t.url, [OWNER, PASSWORD])}` };
  });
  afterAll(() => t?.close());

  const sign = (req: KitRequest): KitRequest => ({
    ...req,
    headers: { ...(req.path.startsWith('/v2') ? bearer : auth), ...req.headers },
  });

  // The probes depart from valid requests, stored first: without this, a route could refuse
  // everything for an unrelated reason, and a hostile delete could hit a real package.
  it('accepts the valid requests the probes are made from', async () => {
    const ok = async (req: KitRequest | Promise<KitRequest>) =>
      (await send(t.url, sign(await req))).status;
    expect(
      await ok({ method: 'PUT', path: `${pkgs('generic')}/g/1.0/f.bin`, body: Buffer.from('x') }),
    ).toBe(201);
    expect(
      await ok({
        method: 'PUT',
        path: `${pkgs('maven')}/com/g/art/1.0/art-1.0.jar`,
        body: Buffer.from('x'),
      }),
    ).toBe(201);
    expect(await ok(chart().then(helmUpload(`${pkgs('helm')}/api/charts`, 'POST')))).toBe(201);
    expect(
      await ok(
        tgzOf([chartYaml('chart', '1.0.1')]).then(
          helmUpload(`${pkgs('helm')}/chart-1.0.1.tgz`, 'PUT'),
        ),
      ),
    ).toBe(201);
    expect(await ok(npmPublish('pkg', '1.0.0'))).toBe(201);
    expect(await ok(npmPublish('@s/pkg', '1.0.0'))).toBe(201);
    expect(
      await ok(
        pypiUpload(
          {},
          'pkg-1.0.0.tar.gz',
          await tgzOf([{ name: 'pkg-1.0.0/PKG-INFO', body: PKG_INFO }]),
        ),
      ),
    ).toBe(201);
    expect(await ok({ method: 'GET', path: `${pkgs('npm')}/pkg/-/1.0.0/pkg-1.0.0.tgz` })).toBe(200);
    expect(
      await ok({ method: 'GET', path: `${pkgs('pypi')}/files/pkg/1.0.0/pkg-1.0.0.tar.gz` }),
    ).toBe(200);
    expect(await ok({ method: 'GET', path: `${pkgs('helm')}/chart-1.0.0.tgz` })).toBe(200);
    // Another version than the probes' 1.0.0, so a 409 cannot stand in for a refusal.
    // A recipe revision the Conan probes point at (they keep its coordinates but one).
    const recipe = `${pkgs('conan')}/${CONAN_V2.replace(/\{(\w+)\}/g, (_m, p: string) => CONAN_DEFAULTS[p])}/revisions/${CONAN_DEFAULTS.rrev}/files/conanfile.py`;
    expect(await ok({ method: 'PUT', path: recipe, body: Buffer.from('class Pkg: pass\n') })).toBe(
      201,
    );
    expect(await ok({ method: 'GET', path: recipe })).toBe(200);
    const condaFile = `${pkgs('conda')}/noarch/pkg-0.1-py_0.tar.bz2`;
    expect(await ok(await condaPut('pkg.tar.bz2', tgzOf([condaIndexEntry('pkg', '0.1')]))())).toBe(
      201,
    );
    expect(await ok({ method: 'GET', path: condaFile })).toBe(200);
    expect(await ok(debianUpload('/pool/stable/main/upload', tgzOf([DEBIAN_CONTROL])))).toBe(201);
    expect(
      await ok({ method: 'GET', path: `${pkgs('debian')}/pool/stable/main/pkg_2.0_amd64.deb` }),
    ).toBe(200);
    expect(
      await ok({
        method: 'GET',
        path: `${pkgs('debian')}/dists/stable/main/binary-amd64/Packages`,
      }),
    ).toBe(200);
    expect(await ok({ method: 'GET', path: `${pkgs('debian')}/dists/stable/InRelease` })).toBe(200);
    if (RPM_PACKAGE) {
      const upload = `${pkgs('rpm')}/el9/upload`;
      expect(await ok({ method: 'PUT', path: upload, body: RPM_PACKAGE })).toBe(201);
      expect(await ok({ method: 'GET', path: `${pkgs('rpm')}/el9/package/pkg/0.1-1/noarch` })).toBe(
        200,
      );
    }
    expect(await ok(await archPut('/core', ARCH_PACKAGE)())).toBe(201);
    expect(await ok({ method: 'GET', path: `${pkgs('arch')}/core/x86_64/${ARCH_FILE}` })).toBe(200);
    expect(await ok({ method: 'GET', path: `${pkgs('arch')}/core/x86_64/core.db` })).toBe(200);
    const box = `${pkgs('vagrant')}/box/0.1.0/virtualbox.box`;
    expect(await ok({ method: 'PUT', path: box, body: await VAGRANT_BOX })).toBe(201);
    expect(await ok({ method: 'GET', path: box })).toBe(200);
    expect(await ok(chefShare(tgzOf([cookbookJson('cb', '0.1.0')])))).toBe(201);
    expect(await ok(swiftPublish(`${pkgs('swift')}/scope/pkg/0.1.0`, sourceArchive('pkg')))).toBe(
      201,
    );
    expect(await ok({ method: 'GET', path: `${pkgs('swift')}/scope/pkg/0.1.0.zip` })).toBe(200);
    const pubspec = { name: 'pubspec.yaml', body: 'name: pkg\nversion: 0.1.0\n' };
    expect(await ok(pubUpload(await tgzOf([pubspec])))).toBe(204);
    expect(await ok({ method: 'GET', path: pubApi('pkg/files/0.1.0.tar.gz') })).toBe(200);
    expect(await ok(altPut('upload'))).toBe(201);
    expect(
      await ok({
        method: 'GET',
        path: `${pkgs('alt')}/alt.repo/noarch/RPMS.classic/pkg-1.0-alt1.noarch.rpm`,
      }),
    ).toBe(200);
    expect(await ok({ method: 'GET', path: `${pkgs('alt')}/alt.repo/noarch/base/release` })).toBe(
      200,
    );
    const alpineIndex = `${pkgs('alpine')}/v3.20/main/x86_64/APKINDEX.tar.gz`;
    expect(await ok(await alpinePut('v3.20/main', tgzOf([ALPINE_PKGINFO])))).toBe(201);
    expect(await ok({ method: 'GET', path: alpineIndex })).toBe(200);
    expect(
      await ok({ method: 'GET', path: `${pkgs('alpine')}/v3.20/main/x86_64/pkg-1.0-r0.apk` }),
    ).toBe(200);
    const layer = Buffer.from('layer');
    const blobs = `/v2/${OWNER}/app/blobs`;
    expect(
      await ok({
        method: 'POST',
        path: `${blobs}/uploads/?digest=sha256:${sha256(layer)}`,
        body: layer,
      }),
    ).toBe(201);
    expect(await ok({ method: 'GET', path: `${blobs}/sha256:${sha256(layer)}` })).toBe(200);
  });

  it('declares every route of every format, and only those', () => {
    expect(formatRoutes(t)).toEqual(Object.keys(ROUTES).sort());
    for (const [route, c] of Object.entries(ROUTES))
      expect([route, !!c.names !== !!c.noNames]).toEqual([route, true]);
  });

  const named = Object.entries(ROUTES).filter(([, c]) => c.names);
  it.each(named)('%s: every hostile name in every position is a 4xx', async (_route, c) => {
    const before = await storedState(t);
    const answers: string[] = [];
    const probes = HOSTILE_NAMES.flatMap((h) =>
      c.names!(h.value).map((probe) => ({ probe, h })),
    ).filter(({ probe, h }) => hostileFor(probe)(h));
    // A few at a time: each is refused before anything is written, so they cannot collide.
    await eachLimited(probes, 6, async ({ probe, h }) => {
      const request = await probe.request;
      // An empty last segment is a trailing slash, which Express routes to the parent path
      // (`GET /pkg/` is the packument): that route's own probes cover it.
      if (h.value === '' && /\/(\?|$)/.test(request.path)) return;
      const res = await send(t.url, sign(request));
      if (res.status < 400 || res.status >= 500)
        answers.push(
          `${probe.position} ← ${h.label}: ${res.status} ${res.body.toString().slice(0, 200)}`,
        );
    });
    answers.sort();
    expect(answers).toEqual([]);
    expect(await storedState(t)).toEqual(before);
  });

  const archived = Object.entries(ROUTES).flatMap(([route, c]) =>
    (c.archives ?? []).flatMap((upload) =>
      (upload.kind === 'tar' ? HOSTILE_TARS : HOSTILE_ZIPS)
        .filter((a) => !upload.stores?.labels.includes(a.label))
        .map((a) => [route, upload.kind, a.label, upload, a] as const),
    ),
  );
  it.each(archived)('%s, %s: %s is a 4xx', async (_route, _kind, _label, upload, archive) => {
    const before = await storedState(t);
    const res = await send(t.url, sign(await upload.upload(archive)));
    expect([res.status >= 400 && res.status < 500, res.body.toString().slice(0, 300)]).toEqual([
      true,
      expect.any(String),
    ]);
    expect(await storedState(t)).toEqual(before);
  });
});
