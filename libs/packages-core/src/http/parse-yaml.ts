import { CST, parse, Parser, YAMLParseError } from 'yaml';
import { InvalidArtifactError } from '../errors/registry-error';

export interface YamlDocumentOptions {
  /** Deepest nesting of mappings and sequences the document may have. */
  maxDepth: number;
}

/**
 * Parses a YAML document from an upload (Chart.yaml, pubspec.yaml) safely: nesting is
 * bounded before the library's recursive composer runs, aliases are capped so a "billion
 * laughs" document cannot blow up memory, duplicate keys are refused, and
 * `prettyErrors: false` (pretty errors on a very deep document run out of memory).
 * Every refusal is an {@link InvalidArtifactError} naming `what`.
 */
export function parseYamlDocument(
  text: string,
  what: string,
  options: YamlDocumentOptions,
): unknown {
  try {
    assertYamlDepth(text, what, options.maxDepth);
    return parse(text, {
      maxAliasCount: 50,
      // An unknown tag is read as a plain value and checked as such; no process warning.
      logLevel: 'error',
      prettyErrors: false,
      strict: true,
      uniqueKeys: true,
    });
  } catch (err) {
    if (err instanceof InvalidArtifactError) throw err;
    const why = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new InvalidArtifactError(`${what} is not valid YAML: ${why}`);
  }
}

/**
 * Refuses a document nested deeper than `maxDepth` (`[[[[…`, `a: {a: {…`, `- - - …`) from
 * its concrete syntax tree: the library's lexer and parser are iterative and this walk
 * keeps its own stack, so only the composer that follows recurses — over a bounded depth.
 */
function assertYamlDepth(text: string, what: string, maxDepth: number): void {
  const stack: [CST.Token, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [token, depth] = next;
    if (depth > maxDepth)
      throw new InvalidArtifactError(`${what} is nested more than ${maxDepth} levels deep`);
    if (token.type === 'document' && token.value) stack.push([token.value, depth]);
    if (
      token.type === 'block-map' ||
      token.type === 'block-seq' ||
      token.type === 'flow-collection'
    )
      for (const item of token.items) {
        if ('key' in item && item.key) stack.push([item.key, depth + 1]);
        if (item.value) stack.push([item.value, depth + 1]);
      }
  }
}
