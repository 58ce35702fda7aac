import { TextDecoder } from 'node:util';
import { X2jOptions, XMLParser, XMLValidator } from 'fast-xml-parser';
import { InvalidArtifactError } from '../errors/registry-error';

/*
 * XML documents uploaded inside artifacts (Maven poms, NuGet nuspecs) read one way: a
 * document type declaration is refused outright, whatever it holds (no external entity,
 * so no XXE; no internal one, so no entity expansion), the text must be well formed, and
 * only the five predefined entities and character references are decoded — by
 * {@link xmlText}, never by the parser.
 */

export interface XmlDocumentOptions {
  /** Largest document accepted, in bytes (400 past it). */
  maxBytes: number;
  /** Element names that always parse to arrays (repeated children). */
  arrays?: readonly string[];
  /** Keep attributes, prefixed with `@`. */
  attributes?: boolean;
}

/**
 * Parses `bytes` as the XML document `what` ("the pom", "the .nuspec"): decoded by the
 * prolog's declared encoding (UTF-8 when none), namespace prefixes removed, values kept
 * as raw text. Every refusal is an InvalidArtifactError naming `what`.
 */
export function parseXmlDocument(
  bytes: Buffer,
  what: string,
  options: XmlDocumentOptions,
): Record<string, unknown> {
  if (bytes.length > options.maxBytes)
    throw new InvalidArtifactError(`${what} is larger than ${options.maxBytes} bytes`);
  const text = decodeXml(bytes, what);
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text))
    throw new InvalidArtifactError(
      `${what} declares a DOCTYPE or entities, which are not accepted`,
    );
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new InvalidArtifactError(
      `${what} is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  const arrays = new Set(options.arrays ?? []);
  const parserOptions: X2jOptions = {
    processEntities: false,
    ignoreAttributes: !options.attributes,
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    trimValues: true,
    maxNestedTags: 100,
    isArray: (name) => arrays.has(name),
  };
  try {
    return new XMLParser(parserOptions).parse(text) as Record<string, unknown>;
  } catch (err) {
    // maxNestedTags (and any other refusal of the parser) is the document's defect, not a 500.
    throw new InvalidArtifactError(`${what} cannot be read: ${(err as Error).message}`);
  }
}

/** Decodes by the prolog's declared encoding (UTF-8 when none); an unknown one is a 400. */
function decodeXml(bytes: Buffer, what: string): string {
  const head = bytes.subarray(0, 200).toString('latin1');
  const declared =
    /^(?:\uFEFF|\xEF\xBB\xBF)?<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(
      head,
    )?.[1] ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(declared.toLowerCase(), { fatal: true });
  } catch {
    throw new InvalidArtifactError(`${what} declares an unsupported encoding: ${declared}`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    throw new InvalidArtifactError(`${what} is not valid ${declared} text`);
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of a parsed element or attribute, entities decoded; undefined when empty or not text. */
export function xmlText(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return safeCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return safeCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e];
  });
}

function safeCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\uFFFD';
}

/** A parsed element with children or attributes, else undefined. */
export function xmlRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A repeated element as a list (absent: empty). */
export function xmlList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}
