import { stringify as yamlStringify } from 'yaml';

/*
 * The "Installation" box of a package page: per format, the commands and configuration a
 * client needs to install this version from Wharf (the behaviour of Forgejo's package
 * pages, with Wharf's own URLs as the README's client cookbook gives them).
 *
 * Names, versions and file names come from users. Every interpolated value goes through
 * the escaper of the language it lands in: shell words are single-quoted, XML is escaped,
 * TOML, JSON, YAML, Ruby, R and Swift strings are written by their own rules, URL path
 * segments are percent-encoded. A value no snippet can show faithfully (a control
 * character, a line break, a leading "-" that a client would read as an option) yields
 * no snippet at all rather than a misleading one.
 */

export interface InstallSnippet {
  title: string;
  language: string;
  code: string;
  note?: string;
}

export interface InstallInput {
  type: string;
  baseUrl: string;
  owner: string;
  name: string;
  version: string;
  metadata?: Record<string, unknown>;
  files?: { name: string }[];
}

/** The types a snippet is written for (every format Wharf serves). */
export const INSTALL_TYPES = [
  'alpine',
  'alt',
  'arch',
  'cargo',
  'chef',
  'composer',
  'conan',
  'conda',
  'container',
  'cran',
  'debian',
  'generic',
  'go',
  'helm',
  'maven',
  'npm',
  'nuget',
  'pub',
  'pypi',
  'rpm',
  'rubygems',
  'swift',
  'vagrant',
] as const;

/** The install instructions of one package version; an unknown type or an unshowable value gives none. */
export function installInstructions(input: InstallInput): InstallSnippet[] {
  const writer = Object.hasOwn(WRITERS, input.type) ? WRITERS[input.type] : undefined;
  if (!writer || !showable(input)) return [];
  let origin: URL;
  try {
    origin = new URL(input.baseUrl);
  } catch {
    return [];
  }
  if (origin.protocol !== 'http:' && origin.protocol !== 'https:') return [];
  const base = `${origin.origin}${origin.pathname.replace(/\/+$/, '')}`;
  return writer({
    ...input,
    host: origin.host,
    plainHttp: origin.protocol === 'http:',
    repo: `${base}/api/packages/${seg(input.owner)}/${input.type}`,
    base,
  });
}

interface Context extends InstallInput {
  /** The registry origin and path prefix, no trailing slash. */
  base: string;
  /** `host[:port]`, as container references and credentials files name it. */
  host: string;
  plainHttp: boolean;
  /** `{base}/api/packages/{owner}/{type}`. */
  repo: string;
}

type Writer = (c: Context) => InstallSnippet[];

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: each either
// ends a line in some language below or cannot be shown.
// eslint-disable-next-line no-control-regex
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

// Owners are user and organization names (Forgejo's rule): they also name a keyring file
// and a pacman.conf section, so nothing else is accepted.
const OWNER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function showable(input: InstallInput): boolean {
  const values = [
    input.owner,
    input.name,
    input.version,
    ...(input.files ?? []).map((f) => f.name),
  ];
  return (
    values.every((v) => typeof v === 'string' && !UNSHOWABLE.test(v)) &&
    [input.name, input.version].every((v) => v !== '' && !v.startsWith('-')) &&
    OWNER.test(input.owner)
  );
}

// ---- escapers ---------------------------------------------------------------------------

/** One shell word: bare when it holds only characters no POSIX shell treats specially. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line of words, each quoted. */
function sh(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}

const XML_ENTITIES: Record<string, string> = {
  '<': '&lt;',
  '>': '&gt;',
  '&': '&amp;',
  "'": '&apos;',
  '"': '&quot;',
};

/** Text and attribute content of XML. */
export function xmlEscape(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => XML_ENTITIES[c]);
}

/** A TOML basic string (JSON's escapes are TOML's, DEL aside, and DEL is unshowable anyway). */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/** A Ruby or R single-quoted string literal. */
function singleQuoted(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** A Swift string literal (a backslash is escaped, so `\(…)` cannot interpolate). */
function swiftString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** One URL path segment. */
function seg(value: string): string {
  return encodeURIComponent(value);
}

function snippet(title: string, language: string, code: string, note?: string): InstallSnippet {
  return note ? { title, language, code, note } : { title, language, code };
}

// ---- formats ----------------------------------------------------------------------------

const WRITERS: Record<string, Writer> = {
  alpine: (c) => [
    snippet(
      'Add the repository to /etc/apk/repositories',
      'text',
      `${c.repo}/BRANCH/REPOSITORY`,
      'Replace BRANCH (such as v3.20) and REPOSITORY (such as main) with those the package was uploaded to.',
    ),
    snippet(
      "Trust the repository's signing key",
      'shell',
      sh('sudo', 'curl', '-fJO', '--output-dir', '/etc/apk/keys', `${c.repo}/key`),
    ),
    snippet('Install the package', 'shell', sh('sudo', 'apk', 'add', `${c.name}=${c.version}`)),
  ],

  alt: (c) => [
    snippet(
      'Add the repository to /etc/apt/sources.list.d/wharf.list',
      'text',
      [`rpm ${c.repo}/alt.repo x86_64 classic`, `rpm ${c.repo}/alt.repo noarch classic`].join('\n'),
      'alt.repo is the default group; a package uploaded to a group is listed in {group}.repo. ' +
        'For a limited or private owner, put USER:TOKEN@ before the host.',
    ),
    snippet(
      'Install the package',
      'shell',
      [sh('sudo', 'apt-get', 'update'), sh('sudo', 'apt-get', 'install', c.name)].join('\n'),
    ),
  ],

  arch: (c) => [
    snippet(
      "Trust the repository's signing key",
      'shell',
      [
        sh('sudo', 'curl', '-fo', '/tmp/wharf.key', `${c.repo}/repository.key`),
        sh('sudo', 'pacman-key', '--add', '/tmp/wharf.key'),
        sh('sudo', 'pacman-key', '--lsign-key', 'KEY_ID'),
      ].join('\n'),
      'KEY_ID is the fingerprint pacman-key --add prints.',
    ),
    snippet(
      'Add the repository to /etc/pacman.conf',
      'ini',
      [
        `[${c.owner}.${c.host.replace(/:\d+$/, '')}]`,
        'SigLevel = Required',
        `Server = ${c.repo}/REPOSITORY/$arch`,
      ].join('\n'),
      'Replace REPOSITORY with the repository the package was uploaded to; pacman fills in $arch.',
    ),
    snippet('Install the package', 'shell', sh('sudo', 'pacman', '-Sy', c.name)),
  ],

  cargo: (c) => [
    snippet(
      'Add the registry to ~/.cargo/config.toml',
      'toml',
      [
        '[registries.wharf]',
        `index = ${tomlString(`sparse+${c.repo}/`)}`,
        '',
        '[registry]',
        'global-credential-providers = ["cargo:token"]',
      ].join('\n'),
      'For a limited or private owner, run cargo login --registry wharf with a token.',
    ),
    snippet(
      'Add the crate to your project',
      'shell',
      sh('cargo', 'add', '--registry', 'wharf', `${c.name}@${c.version}`),
    ),
  ],

  chef: (c) => [
    snippet(
      'Point knife at the Supermarket in ~/.chef/config.rb',
      'ruby',
      `knife[:supermarket_site] = ${singleQuoted(c.repo)}`,
    ),
    snippet(
      'Install the cookbook',
      'shell',
      sh('knife', 'supermarket', 'install', c.name, c.version),
    ),
    snippet(
      'Or resolve it with Berkshelf (Berksfile)',
      'ruby',
      [
        `source ${singleQuoted(`${c.repo}/api/v1`)}`,
        `cookbook ${singleQuoted(c.name)}, ${singleQuoted(`= ${c.version}`)}`,
      ].join('\n'),
    ),
  ],

  composer: (c) => [
    snippet(
      'Add the repository to composer.json',
      'json',
      JSON.stringify({ repositories: [{ type: 'composer', url: c.repo }] }, null, 2),
      c.plainHttp
        ? 'Over plain http, Composer also needs "config": {"secure-http": false}.'
        : undefined,
    ),
    snippet('Require the package', 'shell', sh('composer', 'require', `${c.name}:${c.version}`)),
  ],

  conan: (c) => [
    snippet('Add the remote', 'shell', sh('conan', 'remote', 'add', 'wharf', c.repo)),
    snippet(
      'Install the package',
      'shell',
      sh('conan', 'install', `--requires=${c.name}/${c.version}`, '--remote=wharf'),
      'A recipe published with a user and channel is required as name/version@user/channel.',
    ),
  ],

  conda: (c) => [
    snippet(
      'Install the package',
      'shell',
      sh('conda', 'install', '--channel', c.repo, `${c.name}==${c.version}`),
      'A package uploaded to a named channel is found under that channel: add /CHANNEL to the URL.',
    ),
  ],

  container: (c) => {
    // Image references are lower case; owners match whatever their case.
    const ref = `${c.host}/${c.owner.toLowerCase()}/${c.name}${c.version.startsWith('sha256:') ? '@' : ':'}${c.version}`;
    return [
      snippet(
        'Pull the image',
        'shell',
        sh('docker', 'pull', ref),
        c.plainHttp
          ? `Over plain http, Docker needs "insecure-registries": ["${c.host}"] in its daemon.json.`
          : undefined,
      ),
    ];
  },

  cran: (c) => [
    snippet(
      'Install the package',
      'shell',
      sh(
        'Rscript',
        '-e',
        `install.packages(${singleQuoted(c.name)}, repos = ${singleQuoted(c.repo)})`,
      ),
      'R installs the newest version the repository lists.',
    ),
  ],

  debian: (c) => {
    const keyring = `/etc/apt/keyrings/wharf-${c.owner}.asc`;
    return [
      snippet(
        "Trust the repository's signing key",
        'shell',
        sh('sudo', 'curl', '-fo', keyring, `${c.repo}/repository.key`),
      ),
      snippet(
        'Add the repository to /etc/apt/sources.list.d/wharf.list',
        'text',
        `deb [signed-by=${keyring}] ${c.repo} DISTRIBUTION COMPONENT`,
        'Replace DISTRIBUTION and COMPONENT (such as bookworm main) with those the package was uploaded to.',
      ),
      snippet(
        'Install the package',
        'shell',
        [
          sh('sudo', 'apt-get', 'update'),
          sh('sudo', 'apt-get', 'install', `${c.name}=${c.version}`),
        ].join('\n'),
      ),
    ];
  },

  generic: (c) => {
    const files = c.files?.length ? c.files.map((f) => f.name) : ['FILE'];
    return [
      snippet(
        files.length > 1 ? 'Download the files' : 'Download the file',
        'shell',
        files
          .map((f) => sh('curl', '-fO', `${c.repo}/${seg(c.name)}/${seg(c.version)}/${seg(f)}`))
          .join('\n'),
      ),
    ];
  },

  go: (c) => [
    snippet(
      'Add the module to your module',
      'shell',
      sh(`GOPROXY=${c.repo},off`, `GONOSUMDB=${c.name}`, 'go', 'get', `${c.name}@${c.version}`),
      'Put https://proxy.golang.org,direct after Wharf instead of off to fetch other modules too.',
    ),
  ],

  helm: (c) => [
    snippet(
      'Add the chart repository',
      'shell',
      [sh('helm', 'repo', 'add', 'wharf', c.repo), sh('helm', 'repo', 'update', 'wharf')].join(
        '\n',
      ),
    ),
    snippet(
      'Install the chart',
      'shell',
      sh('helm', 'install', c.name, `wharf/${c.name}`, '--version', c.version),
    ),
  ],

  maven: (c) => {
    const { groupId, artifactId } = mavenCoordinates(c);
    return [
      snippet(
        'Add the repository to pom.xml',
        'xml',
        [
          '<repositories>',
          '  <repository>',
          '    <id>wharf</id>',
          `    <url>${xmlEscape(`${c.repo}`)}</url>`,
          '  </repository>',
          '</repositories>',
        ].join('\n'),
      ),
      snippet(
        'Add the dependency to pom.xml',
        'xml',
        [
          '<dependency>',
          `  <groupId>${xmlEscape(groupId)}</groupId>`,
          `  <artifactId>${xmlEscape(artifactId)}</artifactId>`,
          `  <version>${xmlEscape(c.version)}</version>`,
          '</dependency>',
        ].join('\n'),
      ),
      snippet(
        'Or fetch it from the command line',
        'shell',
        sh(
          'mvn',
          'dependency:get',
          `-DremoteRepositories=wharf::default::${c.repo}`,
          `-Dartifact=${groupId}:${artifactId}:${c.version}`,
        ),
      ),
    ];
  },

  npm: (c) => {
    const scope = /^(@[A-Za-z0-9][A-Za-z0-9._~-]*)\//.exec(c.name)?.[1];
    return [
      snippet(
        'Add the registry to .npmrc',
        'ini',
        `${scope ? `${scope}:registry` : 'registry'}=${c.repo}/`,
        'For a limited or private owner, add //HOST/PATH/:_authToken=TOKEN for the same URL.',
      ),
      snippet('Install the package', 'shell', sh('npm', 'install', `${c.name}@${c.version}`)),
    ];
  },

  nuget: (c) => [
    snippet(
      'Add the package source',
      'shell',
      sh('dotnet', 'nuget', 'add', 'source', '--name', 'wharf', `${c.repo}/index.json`),
      'For a limited or private owner, add --username USER --password TOKEN --store-password-in-clear-text.',
    ),
    snippet(
      'Add the package to your project',
      'shell',
      sh('dotnet', 'add', 'package', c.name, '--version', c.version, '--source', 'wharf'),
    ),
  ],

  pub: (c) => [
    snippet(
      'Add the package to your project',
      'shell',
      sh('dart', 'pub', 'add', `${c.name}:${c.version}`, `--hosted-url=${c.repo}`),
    ),
    snippet(
      'Or list it in pubspec.yaml',
      'yaml',
      yamlStringify({
        dependencies: { [c.name]: { hosted: c.repo, version: c.version } },
      }).trimEnd(),
    ),
  ],

  pypi: (c) => [
    snippet(
      'Install the package',
      'shell',
      sh('pip', 'install', '--index-url', `${c.repo}/simple/`, `${c.name}==${c.version}`),
      'For a limited or private owner, put USER:TOKEN@ before the host.',
    ),
  ],

  rpm: (c) => [
    snippet(
      'Add the repository',
      'shell',
      sh('sudo', 'dnf', 'config-manager', '--add-repo', `${c.repo}.repo`),
      'A package uploaded to a group (such as el9) is in …/rpm/{group}.repo; with dnf 5, ' +
        'run dnf config-manager addrepo --from-repofile=URL.',
    ),
    snippet(
      'Install the package',
      'shell',
      sh('sudo', 'dnf', 'install', rpmSpec(c.name, c.version)),
    ),
  ],

  rubygems: (c) => [
    snippet(
      'Add the gem to your Gemfile',
      'ruby',
      [
        `source ${singleQuoted(`${c.repo}/`)} do`,
        `  gem ${singleQuoted(c.name)}, ${singleQuoted(c.version)}`,
        'end',
      ].join('\n'),
    ),
    snippet(
      'Or install it with gem',
      'shell',
      sh(
        'gem',
        'install',
        c.name,
        '--version',
        c.version,
        '--clear-sources',
        '--source',
        `${c.repo}/`,
      ),
    ),
  ],

  swift: (c) => [
    snippet('Set the package registry', 'shell', sh('swift', 'package-registry', 'set', c.repo)),
    snippet(
      'Add the dependency to Package.swift',
      'swift',
      `.package(id: ${swiftString(c.name)}, from: ${swiftString(c.version)})`,
    ),
  ],

  vagrant: (c) => [
    snippet(
      'Add the box',
      'shell',
      sh('vagrant', 'box', 'add', '--box-version', c.version, `${c.repo}/${seg(c.name)}`),
      'For a limited or private owner, set VAGRANT_SERVER_URL to the registry URL and VAGRANT_CLOUD_TOKEN to a token.',
    ),
  ],
};

/**
 * Maven coordinates: the metadata's when it has them, else the name as Wharf stores it
 * (`groupId:artifactId`, Forgejo's form; `groupId-artifactId` cannot be split, so the
 * whole name is then the artifactId).
 */
function mavenCoordinates(c: Context): { groupId: string; artifactId: string } {
  const m = c.metadata ?? {};
  if (typeof m.groupId === 'string' && typeof m.artifactId === 'string')
    return { groupId: m.groupId, artifactId: m.artifactId };
  const at = c.name.lastIndexOf(':');
  return at < 0
    ? { groupId: 'GROUP_ID', artifactId: c.name }
    : { groupId: c.name.slice(0, at), artifactId: c.name.slice(at + 1) };
}

/** `name-version-release`, or `name-epoch:version-release` for Wharf's `epoch-version-release`. */
function rpmSpec(name: string, version: string): string {
  const epoch = /^(\d+)-([^-]+-[^-]+)$/.exec(version);
  return epoch ? `${name}-${epoch[1]}:${epoch[2]}` : `${name}-${version}`;
}
