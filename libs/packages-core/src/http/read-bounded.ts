import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { RegistryError, RegistryErrorCode } from '../errors/registry-error';

/**
 * The request's `Content-Length` as a number: undefined when absent (a chunked body),
 * a 400 when it is not a plain non-negative integer (RFC 9110 §8.6: `1e3`, `-1`, `0x10`
 * and lists are not lengths; Node already refuses conflicting duplicates).
 */
export function parseContentLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw)) throw RegistryError.invalid(`invalid Content-Length: ${raw}`);
  return Number(raw);
}

export interface ReadBoundedOptions {
  /** The error thrown past the limit; a 413 that names the limit by default. */
  tooLarge?: () => Error;
}

/**
 * Reads a small body (a JSON document, a manifest) into memory, refusing it as soon as it
 * passes `max` bytes — before reading when the declared length already does. Past the
 * limit the rest of the stream is left for the caller's error path to drain or drop.
 */
export async function readBounded(
  stream: Readable,
  max: number,
  options: ReadBoundedOptions = {},
): Promise<Buffer> {
  const tooLarge =
    options.tooLarge ??
    (() =>
      new RegistryError(
        RegistryErrorCode.PayloadTooLarge,
        `the request body is larger than ${max} bytes`,
      ));
  const headers = (stream as Readable & { headers?: IncomingHttpHeaders }).headers;
  const declared = headers ? parseContentLength(headers) : undefined;
  if (declared !== undefined && declared > max) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
