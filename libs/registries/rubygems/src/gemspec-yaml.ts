import { isMap, parseDocument, visit, visitorFn } from 'yaml';
import { InvalidArtifactError } from '@wharf/packages-core';

/*
 * Safe reading of the gemspec YAML in a gem's metadata.gz (docs/protocols/rubygems.md §3).
 * Psych writes the specification with Ruby object tags; on a Ruby server loading them
 * instantiates arbitrary classes (the well-known Gem::Installer / Gem::Requirement gadget
 * chains). Here the YAML is parsed by the `yaml` library into plain data, and only the tags
 * a real `gem build` writes are allowed: any other tag, an alias bomb or an over-deep
 * document refuses the gem before a value is read.
 */

/** The Ruby classes a gemspec carries; `!ruby/object:` of anything else is refused. */
const GEM_TAGS = new Set(
  ['Specification', 'Version', 'Requirement', 'Dependency', 'Platform'].map(
    (c) => `!ruby/object:Gem::${c}`,
  ),
);
// YAML's own types, as Psych may spell them explicitly (`!!str`…); `!!binary` and
// `!!timestamp` are not among them: the values Wharf reads are text.
const YAML_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'seq', 'map'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** Nesting a real gemspec never reaches (it stays under 10); deeper is refused. */
export const MAX_GEMSPEC_DEPTH = 32;
/** Aliases a real gemspec uses (Psych shares a requirement between two keys); more is a bomb. */
export const MAX_GEMSPEC_ALIASES = 100;

/** A requirement as RubyGems stores it: `[[op, version], …]`. */
export type GemRequirement = [string, string][];

/** The gemspec fields Wharf keeps, as plain values. */
export interface Gemspec {
  name: string;
  version: string;
  platform: string;
  summary?: string;
  description?: string;
  authors?: string[];
  email?: string[];
  homepage?: string;
  licenses?: string[];
  metadata?: Record<string, string>;
  requiredRubyVersion?: GemRequirement;
  requiredRubygemsVersion?: GemRequirement;
  dependencies: GemDependency[];
  rubygemsVersion?: string;
  specificationVersion?: number;
  /** `YYYY-MM-DD` of the spec's date. */
  date?: string;
}

export interface GemDependency {
  name: string;
  type: 'runtime' | 'development';
  requirement: GemRequirement;
}

/** Parses the YAML text of a gemspec, refusing any tag but the allowed ones. */
export function parseGemspecYaml(text: string): Gemspec {
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    // Every scalar as its text (a version `2.10` is not the float 2.1), and no custom
    // types: Ruby tags stay unresolved and their mappings plain mappings.
    schema: 'failsafe',
  });
  if (doc.errors.length)
    throw new InvalidArtifactError(
      `the gemspec in metadata.gz is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`,
    );
  const check: visitorFn<unknown> = (_key, node, path) => {
    if (path.length > MAX_GEMSPEC_DEPTH * 2)
      throw new InvalidArtifactError(
        `the gemspec in metadata.gz is nested deeper than ${MAX_GEMSPEC_DEPTH} levels`,
      );
    const tag = (node as { tag?: string }).tag;
    if (tag !== undefined && !GEM_TAGS.has(tag) && !YAML_TAGS.has(tag))
      throw new InvalidArtifactError(
        `the gemspec in metadata.gz carries the YAML tag ${tag.slice(0, 100)}: only the Gem::Specification, Version, Requirement, Dependency and Platform tags are read`,
      );
  };
  visit(doc, { Node: check });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_GEMSPEC_ALIASES });
  } catch (err) {
    throw new InvalidArtifactError(
      `the gemspec in metadata.gz cannot be read: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  if (!isMapping(value) || doc.contents === null || !isMap(doc.contents))
    throw new InvalidArtifactError('the gemspec in metadata.gz is not a Gem::Specification');
  return readSpec(value);
}

function readSpec(v: Record<string, unknown>): Gemspec {
  const f = new Fields(v, 'the gemspec');
  const dependencies = (f.list('dependencies') ?? []).map((d, i) => {
    const df = new Fields(asMapping(d, `dependencies[${i}]`), `dependencies[${i}]`);
    const type = df.string('type')?.replace(/^:/, '') ?? 'runtime';
    if (type !== 'runtime' && type !== 'development')
      throw new InvalidArtifactError(`the gemspec's dependencies[${i}] has the type ${type}`);
    return {
      name: df.required('name'),
      type: type as GemDependency['type'],
      requirement: requirementOf(df.raw('requirement') ?? df.raw('version_requirements')) ?? [],
    };
  });
  const platform = platformOf(v.platform);
  const date = f.string('date');
  return dropEmpty({
    name: f.required('name'),
    version: versionOf(v.version, 'version') ?? '',
    platform,
    summary: f.string('summary'),
    description: f.string('description'),
    authors: f.strings('authors'),
    email: typeof v.email === 'string' ? [v.email] : f.strings('email'),
    homepage: f.string('homepage'),
    licenses: f.strings('licenses'),
    metadata: f.stringMap('metadata'),
    requiredRubyVersion: requirementOf(v.required_ruby_version),
    requiredRubygemsVersion: requirementOf(v.required_rubygems_version),
    dependencies,
    rubygemsVersion: f.string('rubygems_version'),
    specificationVersion: /^\d{1,4}$/.test(f.string('specification_version') ?? '')
      ? Number(v.specification_version)
      : undefined,
    date: date && /^\d{4}-\d{2}-\d{2}/.test(date) ? date.slice(0, 10) : undefined,
  });
}

/** `!ruby/object:Gem::Version {version: "1.0"}`, or the bare string older gems carry. */
function versionOf(v: unknown, at: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (isMapping(v)) return versionOf(v.version, at);
  throw new InvalidArtifactError(`the gemspec's ${at} is not a version`);
}

/** `!ruby/object:Gem::Requirement {requirements: [[op, Version], …]}`. */
function requirementOf(v: unknown): GemRequirement | undefined {
  if (v === undefined || v === null) return undefined;
  const list = isMapping(v) ? v.requirements : v;
  if (!Array.isArray(list))
    throw new InvalidArtifactError('the gemspec has a malformed requirement');
  return list.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
      throw new InvalidArtifactError('the gemspec has a malformed requirement');
    return [pair[0], versionOf(pair[1], 'requirement') ?? '0'];
  });
}

/** A platform string (`ruby`, `x86_64-linux`), or an old `Gem::Platform {cpu, os, version}`. */
function platformOf(v: unknown): string {
  if (v === undefined || v === null || v === '') return 'ruby';
  if (typeof v === 'string') return v;
  if (isMapping(v)) {
    const parts = [v.cpu, v.os, v.version].filter((p) => typeof p === 'string' && p);
    return parts.length ? parts.join('-') : 'ruby';
  }
  throw new InvalidArtifactError("the gemspec's platform is not a platform name");
}

/** Typed reads of gemspec fields; a field of the wrong type is a 400 naming it. */
class Fields {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly at: string,
  ) {}

  raw(key: string): unknown {
    return this.obj[key];
  }

  required(key: string): string {
    const v = this.string(key);
    if (!v) throw new InvalidArtifactError(`${this.at} has no ${key}`);
    return v;
  }

  string(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') throw this.wrong(key, 'a string');
    return v;
  }

  strings(key: string): string[] | undefined {
    const v = this.list(key);
    if (v && !v.every((s) => typeof s === 'string')) throw this.wrong(key, 'a list of strings');
    return v as string[] | undefined;
  }

  list(key: string): unknown[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw this.wrong(key, 'a list');
    return v;
  }

  stringMap(key: string): Record<string, string> | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isMapping(v) || !Object.values(v).every((s) => typeof s === 'string'))
      throw this.wrong(key, 'a mapping of strings');
    return v as Record<string, string>;
  }

  private wrong(key: string, expected: string): InvalidArtifactError {
    return new InvalidArtifactError(`${this.at}'s ${key} must be ${expected}`);
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

function asMapping(v: unknown, at: string): Record<string, unknown> {
  if (!isMapping(v)) throw new InvalidArtifactError(`the gemspec's ${at} must be a mapping`);
  return v;
}

function dropEmpty<T extends object>(obj: T): T {
  return Object.fromEntries(
    Object.entries(obj).filter(([, v]) => v !== undefined && v !== ''),
  ) as T;
}
