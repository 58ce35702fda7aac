import { Readable } from 'node:stream';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';

/*
 * cargo's publish body (docs/protocols/cargo.md §3), read as a stream:
 *
 *   u32 LE json_len | json_len bytes of JSON | u32 LE crate_len | crate_len bytes (.crate)
 *
 * The metadata is small and read into memory (bounded); the .crate is handed on as a
 * stream of exactly crate_len bytes, so it can go straight into storage. A body that ends
 * early, or goes on after the crate, fails that stream with a 400 — ingest then keeps
 * nothing.
 */

export interface PublishBody {
  /** The JSON metadata, as sent. */
  metadata: Buffer;
  /** The .crate: exactly `crateLength` bytes, or an error. Read it once. */
  crate: Readable;
  crateLength: number;
}

export interface PublishBodyOptions {
  /** The request's Content-Length, when it sent one: the two lengths must add up to it. */
  declaredSize?: number;
  /** Largest metadata document accepted (413 past it). */
  maxMetadata: number;
}

const HEADER = 4;

/** Reads the framing and the metadata of a publish body; the crate follows as a stream. */
export async function openPublishBody(
  body: Readable,
  options: PublishBodyOptions,
): Promise<PublishBody> {
  const frames = new FrameReader(body[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  const jsonLength = (await frames.take(HEADER, 'the metadata length')).readUInt32LE(0);
  if (jsonLength > options.maxMetadata)
    throw new RegistryError(
      RegistryErrorCode.PayloadTooLarge,
      `the publish metadata is ${jsonLength} bytes; at most ${options.maxMetadata} are accepted`,
    );
  if (options.declaredSize !== undefined && HEADER + jsonLength + HEADER > options.declaredSize)
    throw wrongLengths(`the metadata length ${jsonLength}`, options.declaredSize);
  const metadata = await frames.take(jsonLength, 'the metadata');
  const crateLength = (await frames.take(HEADER, 'the crate length')).readUInt32LE(0);
  const total = HEADER + jsonLength + HEADER + crateLength;
  if (options.declaredSize !== undefined && total !== options.declaredSize)
    throw wrongLengths(
      `the metadata length ${jsonLength} and crate length ${crateLength}`,
      options.declaredSize,
    );
  return { metadata, crate: Readable.from(frames.rest(crateLength)), crateLength };
}

function wrongLengths(what: string, declared: number): RegistryError {
  return RegistryError.invalid(
    `invalid publish body: ${what} do not add up to the body's Content-Length of ${declared} bytes`,
  );
}

function truncated(what: string): RegistryError {
  return RegistryError.invalid(`invalid publish body: it ends before ${what} is complete`);
}

/** Exact-length reads over an async iterator of chunks, keeping what was read ahead. */
class FrameReader {
  private ahead: Buffer[] = [];
  private aheadLength = 0;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** The next `n` bytes; a 400 naming `what` when the body ends first. */
  async take(n: number, what: string): Promise<Buffer> {
    while (this.aheadLength < n) {
      const next = await this.source.next();
      if (next.done) throw truncated(what);
      this.ahead.push(next.value);
      this.aheadLength += next.value.length;
    }
    const all = Buffer.concat(this.ahead, this.aheadLength);
    const rest = all.subarray(n);
    this.ahead = rest.length ? [rest] : [];
    this.aheadLength = rest.length;
    return all.subarray(0, n);
  }

  /** Exactly `n` more bytes as chunks, then the end of the body; anything else fails with a 400. */
  async *rest(n: number): AsyncGenerator<Buffer> {
    let left = n;
    const pending = this.ahead;
    this.ahead = [];
    this.aheadLength = 0;
    for (const chunk of pending) {
      if (chunk.length > left) throw trailing();
      left -= chunk.length;
      yield chunk;
    }
    while (left > 0) {
      const next = await this.source.next();
      if (next.done) throw truncated('the crate');
      if (next.value.length > left) throw trailing();
      left -= next.value.length;
      yield next.value;
    }
    const after = await this.source.next();
    if (!after.done && after.value.length) throw trailing();
  }
}

function trailing(): RegistryError {
  return RegistryError.invalid(
    'invalid publish body: it goes on after the crate (the crate length is wrong)',
  );
}
