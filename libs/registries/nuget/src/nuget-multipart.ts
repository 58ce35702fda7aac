import type { Request } from 'express';
import { Transform, TransformCallback } from 'node:stream';

/*
 * NuGet.exe 2.x (docs/protocols/nuget.md §8) ends its push form with `\n--{boundary}--`:
 * the closing delimiter after a bare LF, where RFC 2046 §5.1.1 wants CRLF. Go's
 * multipart reader (Forgejo) accepts it; busboy keeps looking for the delimiter and
 * fails with "Unexpected end of form". This stream passes the body through unchanged
 * except for that one line break, keeping only the last few bytes back, so the upload
 * still streams.
 */

const BOUNDARY = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i;

/** The request body as a stream busboy can read; `req` itself when it is not a multipart form. */
export function repairLegacyMultipart(req: Request): Request {
  const match = BOUNDARY.exec(req.headers['content-type'] ?? '');
  if (!/^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '') || !match) return req;
  const fixed = new BareLfCloseFixer(`--${match[1] ?? match[2]}--`);
  req.on('error', (err) => fixed.destroy(err));
  fixed.on('close', () => req.destroy());
  req.pipe(fixed);
  // openUploadBody reads the headers and pipes the body: give it both.
  return Object.assign(fixed, { headers: req.headers }) as unknown as Request;
}

class BareLfCloseFixer extends Transform {
  private tail = Buffer.alloc(0);
  private readonly keep: number;

  constructor(private readonly close: string) {
    super();
    // The delimiter, CR LF after it, CR LF before it and one byte more: enough to see
    // whether a CR precedes its LF.
    this.keep = close.length + 5;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const all = Buffer.concat([this.tail, chunk]);
    const cut = Math.max(0, all.length - this.keep);
    this.tail = all.subarray(cut);
    done(null, all.subarray(0, cut));
  }

  override _flush(done: TransformCallback): void {
    const text = this.tail.toString('latin1');
    const at = text.lastIndexOf(`\n${this.close}`);
    const bareLf = at > 0 && text[at - 1] !== '\r';
    done(
      null,
      bareLf
        ? Buffer.concat([this.tail.subarray(0, at), Buffer.from('\r'), this.tail.subarray(at)])
        : this.tail,
    );
  }
}
