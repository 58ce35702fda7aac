import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { HOSTILE_NAMES } from '../../../packages-core/src/testing/hostile-names';
import {
  INSTALL_TYPES,
  InstallInput,
  InstallSnippet,
  installInstructions,
  shellQuote,
} from './install-instructions';

const BASE = 'http://127.0.0.1:3000/prefix';
const OWNER = 'alice';
const repo = (type: string) => `${BASE}/api/packages/${OWNER}/${type}`;

/** A realistic name per format, as Wharf stores it. */
const SAMPLE_NAMES: Record<string, string> = {
  alpine: 'hello',
  alt: 'hello',
  arch: 'hello',
  cargo: 'my_crate',
  chef: 'mycookbook',
  composer: 'acme/greeter',
  conan: 'hello',
  conda: 'mypkg',
  container: 'team/app',
  cran: 'mypkg',
  debian: 'hello',
  generic: 'tool',
  go: 'example.com/greeter',
  helm: 'mychart',
  maven: 'com.example:lib',
  npm: '@acme/lib',
  nuget: 'MyLib',
  pub: 'mypkg',
  pypi: 'my-package',
  rpm: 'foo',
  rubygems: 'mygem',
  swift: 'myscope.MyLib',
  vagrant: 'mybox',
};

const input = (type: string, over: Partial<InstallInput> = {}): InstallInput => ({
  type,
  baseUrl: BASE,
  owner: OWNER,
  name: SAMPLE_NAMES[type],
  version: '1.0.0',
  files: type === 'generic' ? [{ name: 'tool.tar.gz' }] : undefined,
  ...over,
});

// ---- readers, one per language a snippet is written in -------------------------------

let sandbox: string;
beforeAll(() => {
  sandbox = mkdtempSync(path.join(tmpdir(), 'wharf-install-'));
});
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

/**
 * The argv bash builds from each line of shell snippets, run as printf's arguments in a
 * scratch directory: one bash for all of them (a record separator after each line, a
 * group separator after each snippet).
 */
function shellArgvs(codes: string[]): string[][][] {
  if (!codes.length) return [];
  const script = codes
    .map((code) =>
      code
        .split('\n')
        .map((line) => `printf '%s\\0' ${line}\nprintf '\\36\\0'`)
        .concat(`printf '\\35\\0'`)
        .join('\n'),
    )
    .join('\n');
  const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], {
    cwd: sandbox,
    env: { PATH: process.env.PATH, HOME: sandbox },
  }).toString();
  const result: string[][][] = [[]];
  let line: string[] = [];
  for (const word of out.split('\0').slice(0, -1)) {
    if (word === '\x1e') {
      result[result.length - 1].push(line);
      line = [];
    } else if (word === '\x1d') result.push([]);
    else line.push(word);
  }
  result.pop();
  return result;
}
const shellArgv = (code: string) => shellArgvs([code])[0];

const xmlParser = new XMLParser({ processEntities: true, parseTagValue: false });
function parseXml(code: string): unknown {
  const valid = XMLValidator.validate(`<snippet>${code}</snippet>`);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg}`);
  return xmlParser.parse(`<snippet>${code}</snippet>`);
}

/** Reads Ruby snippets with stub DSL methods, giving the calls (and string arguments) Ruby sees. */
function rubyCalls(codes: string[]): unknown[] {
  if (!codes.length) return [];
  const stubs = [
    'require "json"',
    'def source(*a); $calls << ["source", *a]; yield if block_given?; end',
    'def gem(*a); $calls << ["gem", *a]; end',
    'def cookbook(*a); $calls << ["cookbook", *a]; end',
    'class Knife; def []=(k, v); $calls << ["knife", k.to_s, v]; end; end',
    'def knife; Knife.new; end',
    'puts JSON.generate(JSON.parse(STDIN.read).map { |c| $calls = []; eval(c); $calls })',
  ].join('\n');
  const out = execFileSync('ruby', ['-e', stubs], { input: JSON.stringify(codes), cwd: sandbox });
  return JSON.parse(out.toString()) as unknown[];
}

/** The string literals of a Swift snippet, unescaped (`\\` and `\"` are the only escapes written). */
function swiftStrings(code: string): string[] {
  const outside = code.replace(/"(?:[^"\\]|\\[\\"])*"/g, '');
  if (outside.includes('"') || outside.includes('\\')) throw new Error('a Swift string is broken');
  return [...code.matchAll(/"((?:[^"\\]|\\[\\"])*)"/g)].map((m) => m[1].replace(/\\(.)/g, '$1'));
}

function readOne(s: InstallSnippet): unknown {
  switch (s.language) {
    case 'xml':
      return parseXml(s.code);
    case 'toml':
      return parseToml(s.code);
    case 'yaml':
      return parseYaml(s.code);
    case 'json':
      return JSON.parse(s.code);
    case 'swift':
      return swiftStrings(s.code);
    case 'ini':
    case 'text':
      return s.code.split('\n');
    default:
      throw new Error(`no reader for ${s.language}`);
  }
}

/** Parses R calls `f(a, key = b)` with R itself: the function's name and its string arguments. */
function rCalls(exprs: string[]): string[][] {
  if (!exprs.length) return [];
  const program = [
    'con <- file("stdin"); lines <- readLines(con, encoding = "UTF-8"); close(con)',
    'for (l in lines) { e <- parse(text = l)[[1]]',
    '  cat(paste(c(as.character(e[[1]]), vapply(as.list(e)[-1], as.character, ""), names(e)[-1]), collapse = "\x1f"), "\n", sep = "") }',
  ].join('\n');
  const out = execFileSync('Rscript', ['-e', program], {
    input: exprs.join('\n'),
    env: { ...process.env, LANG: 'C.UTF-8' },
  });
  return out
    .toString()
    .split('\n')
    .slice(0, -1)
    .map((l) => l.split('\x1f'));
}

/** Each snippet read as its language's reader reads it (shell and Ruby in one process each). */
function readAll(snippets: InstallSnippet[]): unknown[] {
  const out: unknown[] = snippets.map((s) =>
    s.language === 'shell' || s.language === 'ruby' ? undefined : readOne(s),
  );
  for (const [language, reader] of [
    ['shell', shellArgvs],
    ['ruby', rubyCalls],
  ] as const) {
    const at = snippets.flatMap((s, i) => (s.language === language ? [i] : []));
    reader(at.map((i) => snippets[i].code)).forEach((v, k) => (out[at[k]] = v));
  }
  // `Rscript -e EXPR`: EXPR read by R too.
  const rLines = out.flatMap((v, i) =>
    snippets[i].language === 'shell' ? (v as string[][]).filter((l) => l[0] === 'Rscript') : [],
  );
  rCalls(rLines.map((l) => l[2])).forEach((call, k) => rLines[k].splice(2, 1, ...call));
  return out;
}

/** Replaces `from` by `to` in every string of a parsed value (percent-encoded as a URL's path segment). */
function substitute(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') {
    const url = /https?:\/\//.test(value);
    return value
      .split(`/${from}`)
      .map((part) => part.split(from).join(to))
      .join(`/${url ? encodeURIComponent(to) : to}`);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, from, to));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [substitute(k, from, to), substitute(v, from, to)]),
    );
  return value;
}

// ---- every format ---------------------------------------------------------------------

describe('installInstructions', () => {
  it('covers every format Wharf serves', () => {
    const formats = execFileSync('ls', [path.resolve(__dirname, '../../../registries')])
      .toString()
      .split('\n')
      .filter(Boolean);
    for (const f of formats) expect(INSTALL_TYPES).toContain(f);
    expect(INSTALL_TYPES).toEqual(expect.arrayContaining(['alpine', 'arch']));
  });

  it('gives nothing for an unknown type or an unusable base URL', () => {
    expect(installInstructions(input('npm', { type: 'terraform' }))).toEqual([]);
    expect(installInstructions(input('npm', { type: '__proto__' }))).toEqual([]);
    expect(installInstructions(input('npm', { baseUrl: 'not a url' }))).toEqual([]);
    expect(installInstructions(input('npm', { baseUrl: 'javascript:alert(1)' }))).toEqual([]);
  });

  describe.each(INSTALL_TYPES.map((t) => [t]))('%s', (type) => {
    const snippets = installInstructions(input(type));

    it('has snippets naming the real URL, each readable in its language', () => {
      expect(snippets.length).toBeGreaterThan(0);
      const where = type === 'container' ? `127.0.0.1:3000/${OWNER}/team/app:1.0.0` : repo(type);
      expect(snippets.some((s) => s.code.includes(where))).toBe(true);
      for (const s of snippets) {
        expect(s.title).toBeTruthy();
      }
      expect(readAll(snippets)).toHaveLength(snippets.length);
    });

    it('names the version it is shown for', () => {
      const all = snippets.map((s) => s.code).join('\n');
      if (['alt', 'arch', 'cran'].includes(type)) return; // their clients install the newest
      expect(all).toContain('1.0.0');
    });
  });

  // ---- exact commands ---------------------------------------------------------------

  const argvOf = (type: string, over: Partial<InstallInput> = {}) =>
    installInstructions(input(type, over))
      .filter((s) => s.language === 'shell')
      .flatMap((s) => shellArgv(s.code));

  it('npm: the scope registry line and npm install name@version', () => {
    const [npmrc, install] = installInstructions(input('npm'));
    expect(npmrc.code).toBe(`@acme:registry=${repo('npm')}/`);
    expect(shellArgv(install.code)).toEqual([['npm', 'install', '@acme/lib@1.0.0']]);
    const plain = installInstructions(input('npm', { name: 'left-pad' }))[0];
    expect(plain.code).toBe(`registry=${repo('npm')}/`);
  });

  it('pypi: pip install from the simple index', () => {
    expect(argvOf('pypi')).toEqual([
      ['pip', 'install', '--index-url', `${repo('pypi')}/simple/`, 'my-package==1.0.0'],
    ]);
  });

  it('container: docker pull host/owner/name:tag, or @digest', () => {
    expect(argvOf('container')).toEqual([
      ['docker', 'pull', '127.0.0.1:3000/alice/team/app:1.0.0'],
    ]);
    expect(argvOf('container', { owner: 'Alice' })[0][2]).toBe(
      '127.0.0.1:3000/alice/team/app:1.0.0',
    );
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(argvOf('container', { version: digest })).toEqual([
      ['docker', 'pull', `127.0.0.1:3000/alice/team/app@${digest}`],
    ]);
  });

  it('maven: repository and dependency blocks from groupId:artifactId', () => {
    const [repository, dependency, cli] = installInstructions(input('maven'));
    expect(parseXml(repository.code)).toEqual({
      snippet: { repositories: { repository: { id: 'wharf', url: repo('maven') } } },
    });
    expect(parseXml(dependency.code)).toEqual({
      snippet: { dependency: { groupId: 'com.example', artifactId: 'lib', version: '1.0.0' } },
    });
    expect(shellArgv(cli.code)[0]).toContain('-Dartifact=com.example:lib:1.0.0');
  });

  it('helm, cargo, go, rpm: the commands their clients take', () => {
    expect(argvOf('helm')).toEqual([
      ['helm', 'repo', 'add', 'wharf', repo('helm')],
      ['helm', 'repo', 'update', 'wharf'],
      ['helm', 'install', 'mychart', 'wharf/mychart', '--version', '1.0.0'],
    ]);
    expect(parseToml(installInstructions(input('cargo'))[0].code)).toMatchObject({
      registries: { wharf: { index: `sparse+${repo('cargo')}/` } },
    });
    expect(argvOf('cargo')).toEqual([['cargo', 'add', '--registry', 'wharf', 'my_crate@1.0.0']]);
    expect(argvOf('go')).toEqual([
      [
        `GOPROXY=${repo('go')},off`,
        'GONOSUMDB=example.com/greeter',
        'go',
        'get',
        'example.com/greeter@1.0.0',
      ],
    ]);
    expect(argvOf('rpm', { version: '2-1.0-1' })[1]).toEqual([
      'sudo',
      'dnf',
      'install',
      'foo-2:1.0-1',
    ]);
  });

  it('cran and rubygems: R and Ruby read the name and the repository back', () => {
    const [cran] = installInstructions(input('cran', { name: "it's" }));
    expect(readAll([cran])).toEqual([
      [['Rscript', '-e', 'install.packages', "it's", repo('cran'), '', 'repos']],
    ]);
    const [gemfile] = installInstructions(input('rubygems'));
    expect(readAll([gemfile])).toEqual([
      [
        ['source', `${repo('rubygems')}/`],
        ['gem', 'mygem', '1.0.0'],
      ],
    ]);
  });

  it('generic: one download per file, names percent-encoded in the URL', () => {
    expect(argvOf('generic', { files: [{ name: 'a b.tgz' }, { name: 'c.txt' }] })).toEqual([
      ['curl', '-fO', `${repo('generic')}/tool/1.0.0/a%20b.tgz`],
      ['curl', '-fO', `${repo('generic')}/tool/1.0.0/c.txt`],
    ]);
  });

  it('a base URL with a trailing slash gives no double slash', () => {
    expect(argvOf('pypi', { baseUrl: `${BASE}/` })[0][3]).toBe(`${repo('pypi')}/simple/`);
  });

  // ---- hostile values ---------------------------------------------------------------

  const SHELL_HOSTILE = [
    '$(touch PWNED)',
    '`touch PWNED`',
    "'; touch PWNED; '",
    '"; touch PWNED; "',
    'x && touch PWNED',
    'x|touch PWNED',
    'x>PWNED',
    'a b',
    '*',
    '~root',
    '!!',
    '#x',
    '{a,b}',
    'a\\b',
    "it's",
    '${HOME}',
  ];
  const OTHER_HOSTILE = [
    '</version><evil/>',
    ']]>&amp;<!--',
    '"\n[evil]'.replace('\n', ' '),
    '": x, "y',
    '? a: *alias',
    '!!python/object:os.system',
    '#{system("touch PWNED")}',
    '\\(evil)',
    "'); system('touch PWNED'); ('",
    'x\\',
  ];
  const hostile = [...SHELL_HOSTILE, ...OTHER_HOSTILE];
  // eslint-disable-next-line no-control-regex
  const CONTROL = /[\u0000-\u001f\u2028]/;

  describe.each(INSTALL_TYPES.map((t) => [t]))('%s with hostile values', (type) => {
    for (const field of ['name', 'version'] as const) {
      it(`keeps a hostile ${field} one value in every language`, () => {
        const marker = 'PLACEHOLDER';
        const template = installInstructions(input(type, { [field]: marker }));
        // A Maven name is split at its last ':' (groupId:artifactId).
        const values = hostile.filter(
          (v) => type !== 'maven' || field !== 'name' || !v.includes(':'),
        );
        const all = values.map((value) => installInstructions(input(type, { [field]: value })));
        for (const snippets of all)
          expect(snippets.map((s) => [s.title, s.language])).toEqual(
            template.map((s) => [s.title, s.language]),
          );
        const expected = readAll(template);
        const parsed = readAll(all.flat());
        values.forEach((value, v) =>
          template.forEach((_s, i) =>
            expect({ value, parsed: parsed[v * template.length + i] }).toEqual({
              value,
              parsed: substitute(expected[i], marker, value),
            }),
          ),
        );
        expect(existsSync(path.join(sandbox, 'PWNED'))).toBe(false);
      });
    }

    it('shows nothing for control characters, leading dashes or a hostile owner', () => {
      for (const h of HOSTILE_NAMES.filter((n) => CONTROL.test(n.value)))
        expect(installInstructions(input(type, { name: h.value }))).toEqual([]);
      expect(installInstructions(input(type, { name: '--upload-pack=evil' }))).toEqual([]);
      expect(installInstructions(input(type, { version: '-rf' }))).toEqual([]);
      expect(installInstructions(input(type, { owner: 'a b' }))).toEqual([]);
      expect(installInstructions(input(type, { owner: '../x' }))).toEqual([]);
    });
  });

  it('quotes shell words only when needed', () => {
    expect(shellQuote('a.b/c@1.0:x=y,z+%')).toBe('a.b/c@1.0:x=y,z+%');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
