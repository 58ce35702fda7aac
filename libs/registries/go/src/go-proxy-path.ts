import { checkName, NameGrammar, RegistryError } from '@wharf/packages-core';
import { MODULE_PATH, MODULE_VERSION, moduleProblem, unescapeModuleText } from './go.metadata';

/*
 * The GOPROXY paths under `{base}/` (go.dev/ref/mod "GOPROXY protocol";
 * docs/protocols/go.md §2): `{module}/@v/list`, `{module}/@v/{version}.info|.mod|.zip`,
 * `{module}/@latest`. Module paths hold slashes, so the path is read from its end.
 *
 * A name that could be a path or a control sequence is a 400 (core's checkName). A
 * name that is merely not a module path or a tagged version is a 404: the go command
 * asks for every prefix of an import path (`example.com/a/b`, then `example.com/a`…) and
 * for branch names (`@v/main.info`), and a 404 or 410 is what tells it "not here" —
 * with `GOPROXY=<wharf>,off` it then fails at once, with a following proxy it moves on.
 */

export type ProxyRequest =
  | { kind: 'list' | 'latest'; path: string }
  | { kind: 'info' | 'mod' | 'zip'; path: string; version: string };

// What the go command may send as a version query: tags, branch names, `latest`.
const VERSION_QUERY: NameGrammar = {
  what: 'module version',
  pattern: /^[A-Za-z0-9._+~!-]+$/,
  rule: "ASCII letters, digits, '.', '_', '+', '~' and '-'",
  maxLength: MODULE_VERSION.maxLength,
};

/** `rest` as the router hands it over (decoded once) → what is asked for, or a 4xx. */
export function parseProxyPath(rest: string): ProxyRequest {
  if (rest.startsWith('sumdb/'))
    // The go command then asks the checksum database itself (go.dev/ref/mod "Checksum database").
    throw RegistryError.notFound('not found: this proxy does not proxy checksum databases');
  if (rest.endsWith('/@latest')) return { kind: 'latest', path: modulePath(rest.slice(0, -8)) };
  const at = rest.lastIndexOf('/@v/');
  if (at < 0) throw RegistryError.notFound(`not found: ${rest.slice(0, 200)} is no GOPROXY path`);
  const path = modulePath(rest.slice(0, at));
  const file = rest.slice(at + 4);
  if (file === 'list') return { kind: 'list', path };
  const m = /^(.+)\.(info|mod|zip)$/.exec(file);
  if (!m) throw RegistryError.notFound(`not found: @v/${file.slice(0, 200)}`);
  checkName(m[1], VERSION_QUERY);
  const version = unescapeModuleText(m[1]);
  if (version === undefined) throw caseEncoding();
  if (version !== 'latest' && !MODULE_VERSION.pattern.test(version))
    throw RegistryError.notFound(
      `not found: ${path}@${version}: only tagged versions uploaded here are served, under their canonical name`,
    );
  return { kind: m[2] as 'info' | 'mod' | 'zip', path, version };
}

function modulePath(escaped: string): string {
  checkName(escaped, { ...MODULE_PATH, pattern: /^[A-Za-z0-9._~!-]+$/ });
  const path = unescapeModuleText(escaped);
  if (path === undefined) throw caseEncoding();
  checkName(path, MODULE_PATH);
  const problem = moduleProblem(path);
  if (problem) throw RegistryError.notFound(`not found: ${path} is not a module path (${problem})`);
  return path;
}

const caseEncoding = () =>
  RegistryError.notFound(
    'not found: the go command writes upper-case letters of module paths and versions as !x (and nothing else after a !)',
  );
