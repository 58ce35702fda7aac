import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { RegistryError } from '../errors/registry-error';
import { MultipartFile, MultipartSource, readMultipartForm } from './multipart-form';
import { readBounded } from './read-bounded';

const BOUNDARY = 'wharf-test-boundary';

interface Part {
  name?: string;
  filename?: string;
  type?: string;
  body: Buffer | string;
}

function partHead(p: Omit<Part, 'body'>): Buffer {
  let disposition = 'form-data';
  if (p.name !== undefined) disposition += `; name="${p.name}"`;
  if (p.filename !== undefined) disposition += `; filename="${p.filename}"`;
  const type = p.type ? `Content-Type: ${p.type}\r\n` : '';
  return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`);
}

function formBody(parts: Part[], close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(partHead(p), Buffer.from(p.body), Buffer.from('\r\n'));
  if (close) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

function source(
  chunks: Iterable<Buffer> | AsyncIterable<Buffer>,
  type = `multipart/form-data; boundary=${BOUNDARY}`,
): MultipartSource {
  return Object.assign(Readable.from(chunks, { objectMode: false }), {
    headers: { 'content-type': type },
  });
}

const text = (file: MultipartFile) => readBounded(file.stream, 1024 * 1024).then(String);

async function refusal(promise: Promise<unknown>): Promise<RegistryError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

describe('readMultipartForm', () => {
  it('streams the named parts whatever their headers, keeps fields, reads other files past', async () => {
    const form = await readMultipartForm(
      source([
        formBody([
          { name: 'note', body: 'first' },
          // SwiftPM: no file name, a media type that is not octet-stream.
          { name: 'source-archive', type: 'application/zip', body: 'zip bytes' },
          { name: 'metadata', type: 'application/json', body: '{"a":1}' },
          { name: 'signature', type: 'application/octet-stream', body: 'ignored' },
          { name: 'note', body: 'second' },
        ]),
      ]),
      {
        fileParts: ['source-archive', 'metadata'],
        onFile: async (f) => `${f.name}:${f.contentType}:${f.filename}:${await text(f)}`,
        limits: { files: 3 },
      },
    );
    expect(form.files.map((f) => f.result)).toEqual([
      'source-archive:application/zip:undefined:zip bytes',
      'metadata:application/json:undefined:{"a":1}',
    ]);
    expect({ ...form.fields }).toEqual({ note: ['first', 'second'] });
  });

  it('without a list, takes parts with a file name or of type octet-stream as files (the HTML rule)', async () => {
    const form = await readMultipartForm(
      source([
        formBody([
          { name: 'plain', type: 'application/zip', body: 'a field' },
          { name: 'upload', filename: '../dir/a.whl', body: 'file one' },
          { name: 'raw', type: 'application/octet-stream', body: 'file two' },
        ]),
      ]),
      { onFile: async (f) => [f.filename, await text(f)], limits: { files: 2 } },
    );
    // The file name as sent, path and all: the caller's grammar refuses it.
    expect(form.files.map((f) => f.result)).toEqual([
      ['../dir/a.whl', 'file one'],
      [undefined, 'file two'],
    ]);
    expect(form.fields.plain).toEqual(['a field']);
  });

  it('streams a named part far larger than any field limit, as it arrives', async () => {
    const size = 8 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    async function* body() {
      yield partHead({ name: 'blob', type: 'application/zip' });
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    }
    const expected = createHash('sha256');
    for (let sent = 0; sent < size; sent += chunk.length) expected.update(chunk);
    const form = await readMultipartForm(source(body()), {
      fileParts: ['blob'],
      limits: { fieldSize: 1024 },
      onFile: async (f) => {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const c of f.stream) {
          hash.update(c as Buffer);
          bytes += (c as Buffer).length;
        }
        return { bytes, sha256: hash.digest('hex') };
      },
    });
    expect(form.files[0].result).toEqual({ bytes: size, sha256: expected.digest('hex') });
  });

  it('applies backpressure: a file part not read holds the body back', async () => {
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    async function* body() {
      yield partHead({ name: 'blob', type: 'application/zip' });
      for (let i = 0; i < 1024; i++) {
        pulled += chunk.length;
        yield chunk;
      }
      yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    }
    let release!: () => void;
    const reading = readMultipartForm(source(body()), {
      fileParts: ['blob'],
      onFile: async (f) => {
        await new Promise<void>((r) => (release = r));
        let bytes = 0;
        for await (const c of f.stream) bytes += (c as Buffer).length;
        return bytes;
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    // 64 MiB on offer; only the streams' buffers (a few hundred KiB at most) were taken.
    expect(pulled).toBeLessThan(1024 * 1024);
    release();
    expect((await reading).files[0].result).toBe(1024 * chunk.length);
  });

  it('keeps a field named __proto__ as a field', async () => {
    const form = await readMultipartForm(
      source([
        formBody([
          { name: '__proto__', body: 'x' },
          { name: 'constructor', body: 'y' },
        ]),
      ]),
    );
    expect(form.fields['__proto__']).toEqual(['x']);
    expect(form.fields['constructor']).toEqual(['y']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it.each([
    ['not a form', 'application/json', formBody([]), 400, /multipart\/form-data/],
    ['no boundary', 'multipart/form-data', formBody([]), 400, /boundary/],
    ['garbage', `multipart/form-data; boundary=${BOUNDARY}`, Buffer.from('garbage'), 400, /.+/],
    [
      'no closing boundary',
      `multipart/form-data; boundary=${BOUNDARY}`,
      formBody([{ name: 'a', body: 'b' }], false),
      400,
      /closing boundary/,
    ],
  ])('refuses %s with a 400', async (_label, type, body, status, message) => {
    const err = await refusal(readMultipartForm(source([body], type)));
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
  });

  it('refuses a form past its count limits with a 400 and a long field with a 413', async () => {
    const many = (n: number, p: Part) => Array.from({ length: n }, () => p);
    let err = await refusal(
      readMultipartForm(source([formBody(many(5, { name: 'a', body: 'b' }))]), {
        limits: { parts: 4, fields: 10 },
      }),
    );
    expect([err.status, err.message]).toEqual([400, 'the form has more than 4 parts']);
    err = await refusal(
      readMultipartForm(source([formBody(many(3, { name: 'a', body: 'b' }))]), {
        limits: { fields: 2 },
      }),
    );
    expect([err.status, err.message]).toEqual([400, 'the form has more than 2 fields']);
    err = await refusal(
      readMultipartForm(source([formBody(many(2, { name: 'f', filename: 'x', body: 'b' }))]), {
        onFile: (f) => text(f),
      }),
    );
    expect([err.status, err.message]).toEqual([400, 'the form has more than 1 file parts']);
    err = await refusal(
      readMultipartForm(source([formBody([{ name: 'long', body: 'x'.repeat(100) }])]), {
        limits: { fieldSize: 10 },
      }),
    );
    expect([err.status, err.message]).toEqual([413, 'the form field long is larger than 10 bytes']);
  });

  it("refuses with onFile's own error, and undoes consumed parts when a later part fails", async () => {
    const own = new RegistryError(RegistryError.invalid('x').code, 'not that archive');
    let err = await refusal(
      readMultipartForm(source([formBody([{ name: 'a', filename: 'a', body: 'zzz' }])]), {
        onFile: () => Promise.reject(own),
      }),
    );
    expect(err).toBe(own);

    const abandoned: string[] = [];
    async function* body() {
      yield formBody(
        [
          { name: 'archive', type: 'application/zip', body: 'stored' },
          { name: 'ok', body: 'fine' },
        ],
        false,
      );
      // The archive (ended by the next part's boundary) is consumed before the bad field arrives.
      await new Promise((r) => setTimeout(r, 50));
      yield formBody([{ name: 'long', body: 'x'.repeat(100) }]);
    }
    err = await refusal(
      readMultipartForm(source(body()), {
        fileParts: ['archive'],
        onFile: (f) => text(f),
        onAbandon: async (r) => void abandoned.push(r),
        limits: { fieldSize: 10 },
      }),
    );
    expect(err.status).toBe(413);
    expect(abandoned).toEqual(['stored']);
  });

  it('ends an open file part with an error when the body is cut off inside it', async () => {
    let consumerError: unknown;
    const err = await refusal(
      readMultipartForm(
        source([Buffer.concat([partHead({ name: 'f', filename: 'f' }), Buffer.alloc(1000, 1)])]),
        {
          onFile: async (f) => {
            try {
              await text(f);
            } catch (e) {
              consumerError = e;
              throw e;
            }
          },
        },
      ),
    );
    expect(err.status).toBe(400);
    expect(consumerError).toBeInstanceOf(Error);
  });
});
