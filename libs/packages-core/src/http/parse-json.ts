import { RegistryError } from '../errors/registry-error';

/**
 * Deepest nesting a JSON document from a client may have. Real documents (packuments,
 * manifests, API bodies) stay under ten levels; the limit stops a body nested thousands
 * of levels deep before any recursive code (validators, transformers) walks it.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Throws a 400 when `bytes` nests objects/arrays deeper than `maxDepth`. One pass over
 * the bytes: UTF-8 continuation bytes are ≥ 0x80, so they never look like brackets.
 */
export function assertJsonDepth(bytes: Buffer, maxDepth = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > maxDepth)
        throw RegistryError.invalid(`the JSON document is nested deeper than ${maxDepth} levels`);
    } else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
      depth--;
    }
  }
}

/** Parses a client's JSON document under the depth limit; invalid JSON is a 400 naming `what`. */
export function parseJsonDocument(bytes: Buffer, what: string, maxDepth = MAX_JSON_DEPTH): unknown {
  assertJsonDepth(bytes, maxDepth);
  try {
    return JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw RegistryError.invalid(`${what} is not valid JSON`);
  }
}
