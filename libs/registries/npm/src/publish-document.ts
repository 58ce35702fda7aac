import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import Parser from 'stream-json/Parser';
import { RegistryError } from '@wharf/packages-core';

/*
 * Streaming reader of an npm publish document (`PUT /{pkg}`, docs/protocols/npm.md §3). The document is
 * JSON whose `_attachments.<file>.data` is the whole tarball in base64 — often most of
 * the body. Everything else is assembled into a value (within a byte budget); the first
 * attachment's `data` is decoded chunk by chunk and handed to `sink` as a stream, so the
 * tarball is never held in memory, neither as text nor as bytes.
 */

export interface PublishDocumentLimits {
  /** Characters of the document outside the attachment data (readme, manifest…). */
  maxDocument: number;
}

export const DEFAULT_PUBLISH_LIMITS: PublishDocumentLimits = { maxDocument: 16 * 1024 * 1024 };

export interface ReadPublishDocument<T> {
  /** The document, with the first attachment's `data` left out. */
  doc: Record<string, unknown>;
  /** The first attachment: its key and what the sink made of its bytes. */
  attachment?: { name: string; result: T };
}

type Token = { name: string; value?: string };
type Container =
  | { kind: 'object'; value: Record<string, unknown>; key?: string }
  | { kind: 'array'; value: unknown[] };

/**
 * Parses `body`. `sink` receives the decoded bytes of the first attachment as soon as its
 * `data` string starts, and runs concurrently with the parse (backpressure included). When
 * parsing fails after the sink began, the sink's stream is destroyed with the error and the
 * sink's own failure (or result) is awaited before the error propagates — so a caller can
 * discard what the sink stored.
 */
export async function readPublishDocument<T>(
  body: Readable,
  sink: (bytes: Readable) => Promise<T>,
  onAbandon: (result: T) => Promise<void>,
  limits: PublishDocumentLimits = DEFAULT_PUBLISH_LIMITS,
): Promise<ReadPublishDocument<T>> {
  const parser = new Parser({
    packKeys: true,
    streamKeys: false,
    packStrings: false,
    streamStrings: true,
    packNumbers: true,
    streamNumbers: false,
  });
  body.on('error', (err) => parser.destroy(err));
  body.pipe(parser);

  const stack: Container[] = [];
  let root: Record<string, unknown> | undefined;
  let budget = limits.maxDocument;
  let text: string[] | undefined; // the string being assembled
  let decoder: Base64Decoder | undefined; // the attachment being streamed
  let attachment: { name: string; done: Promise<T> } | undefined;
  let sinkError: unknown;
  let abandoning = false; // set once the parse failed: the sink's failure is then our own doing

  const spend = (n: number) => {
    budget -= n;
    if (budget < 0)
      throw RegistryError.invalid(
        `the publish document is larger than ${limits.maxDocument} bytes besides the tarball`,
      );
  };
  const put = (value: unknown) => {
    const top = stack[stack.length - 1];
    if (!top) {
      if (!isObject(value))
        throw RegistryError.invalid('the publish document must be a JSON object');
      root = value;
    } else if (top.kind === 'array') top.value.push(value);
    else {
      // A key named __proto__ must stay data, never become the prototype. The key stays
      // set until the next one: it tells where the parser is while inside this value.
      Object.defineProperty(top.value, top.key!, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  };
  // `_attachments.<first key>.data`: root object → `_attachments` object → attachment object.
  const atAttachmentData = () =>
    !attachment &&
    stack.length === 3 &&
    stack[0].kind === 'object' &&
    stack[0].key === '_attachments' &&
    stack[1].kind === 'object' &&
    Object.keys(stack[1].value).length === 1 &&
    stack[2].kind === 'object' &&
    stack[2].key === 'data';

  try {
    for await (const token of parser as AsyncIterable<Token>) {
      if (sinkError) throw sinkError;
      switch (token.name) {
        case 'startObject': {
          const value: Record<string, unknown> = {};
          put(value);
          stack.push({ kind: 'object', value });
          break;
        }
        case 'startArray': {
          const value: unknown[] = [];
          put(value);
          stack.push({ kind: 'array', value });
          break;
        }
        case 'endObject':
        case 'endArray':
          stack.pop();
          break;
        case 'keyValue': {
          spend(token.value!.length);
          const top = stack[stack.length - 1];
          if (top?.kind === 'object') top.key = token.value;
          break;
        }
        case 'startString':
          if (atAttachmentData()) {
            decoder = new Base64Decoder();
            const done = sink(decoder.output);
            done.catch((err) => {
              if (abandoning) return;
              sinkError = err;
              parser.destroy();
            });
            attachment = { name: Object.keys((stack[1] as { value: object }).value)[0], done };
          } else text = [];
          break;
        case 'stringChunk':
          if (decoder) {
            if (!decoder.output.write(decoder.decode(token.value!)))
              await waitForDrain(decoder.output);
          } else {
            spend(token.value!.length);
            text!.push(token.value!);
          }
          break;
        case 'endString':
          if (decoder) {
            decoder.finish();
            decoder = undefined;
          } else {
            put(text!.join(''));
            text = undefined;
          }
          break;
        case 'numberValue':
          spend(token.value!.length);
          put(Number(token.value));
          break;
        case 'nullValue':
          put(null);
          break;
        case 'trueValue':
          put(true);
          break;
        case 'falseValue':
          put(false);
          break;
      }
    }
    if (sinkError) throw sinkError;
    if (!root || stack.length) throw RegistryError.invalid('invalid JSON: the document ends early');
    const result = attachment && { name: attachment.name, result: await attachment.done };
    return { doc: root, attachment: result };
  } catch (err) {
    // Whose failure is it? The sink's (413, storage down: its error is the answer) or the parse's.
    const sinkFailed = !!sinkError || err instanceof SinkClosed;
    abandoning = !sinkFailed;
    decoder?.output.destroy(err instanceof Error ? err : new Error(String(err)));
    body.unpipe(parser);
    body.resume();
    if (attachment) {
      // Wait for the sink either way; bytes it already stored are handed back to be discarded.
      const settled = await attachment.done.then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (settled.ok) await onAbandon(settled.result);
      else if (sinkFailed) throw settled.error;
    }
    throw sinkError ?? asJsonError(err);
  }
}

/** The attachment stream closed under the parser: the sink failed, and its error is the answer. */
class SinkClosed extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function waitForDrain(stream: PassThrough): Promise<void> {
  if (!stream.destroyed) await Promise.race([once(stream, 'drain'), once(stream, 'close')]);
  if (stream.destroyed) throw new SinkClosed('the attachment stream closed');
}

function asJsonError(err: unknown): unknown {
  if (err instanceof RegistryError) return err;
  // The parser's own errors, or a body that broke off: either way not a readable document.
  return RegistryError.invalid(
    `the publish document is not valid JSON (${(err as Error)?.message ?? String(err)})`,
  );
}

// Standard or URL-safe base64, padding only at the end.
const BASE64 = /^[A-Za-z0-9+/_-]*$/;

/** Decodes base64 text arriving in arbitrary pieces; rejects anything that is not base64. */
export class Base64Decoder {
  readonly output = new PassThrough({ highWaterMark: 1024 * 1024 });

  constructor() {
    // Destroyed with the parse error before the sink may have attached its listeners (it
    // awaits the database first): the sink sees the destroyed stream, never an unhandled event.
    this.output.on('error', () => undefined);
  }
  private carry = '';
  private padded = false;

  decode(piece: string): Buffer {
    const clean = piece.replace(/[\r\n]/g, '');
    if (this.padded) {
      // The JSON parser cuts the string anywhere, also between two '=' of the padding.
      if (!/^=*$/.test(clean))
        throw RegistryError.invalid('package attachment is invalid: data is not base64');
      return Buffer.alloc(0);
    }
    let text = this.carry + clean;
    const pad = text.indexOf('=');
    if (pad >= 0 && !/^=*$/.test(text.slice(pad)))
      throw RegistryError.invalid('package attachment is invalid: data is not base64');
    if (pad >= 0) {
      this.padded = true;
      text = text.slice(0, pad);
    }
    if (!BASE64.test(text))
      throw RegistryError.invalid('package attachment is invalid: data is not base64');
    const whole = this.padded ? text.length : text.length - (text.length % 4);
    this.carry = text.slice(whole);
    return Buffer.from(text.slice(0, whole), 'base64');
  }

  finish(): void {
    if (this.carry.length === 1)
      throw RegistryError.invalid('package attachment is invalid: data is not base64');
    if (this.carry) this.output.write(Buffer.from(this.carry, 'base64'));
    this.carry = '';
    this.output.end();
  }
}
