import { Readable } from 'node:stream';
import { RegistryError } from '@wharf/packages-core';
import { openPublishBody } from './publish-body';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const frame = (json: Buffer, crate: Buffer) =>
  Buffer.concat([u32(json.length), json, u32(crate.length), crate]);

/** The body in chunks of `size` bytes, as a socket may deliver it. */
const chunked = (body: Buffer, size: number) => {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
  return Readable.from(parts);
};

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const JSON_DOC = Buffer.from('{"name":"demo","vers":"1.0.0"}');
const CRATE = Buffer.from('crate bytes, any length');

describe('openPublishBody', () => {
  it.each([1, 3, 7, 1024])(
    'reads metadata and crate delivered in chunks of %p bytes',
    async (n) => {
      const body = frame(JSON_DOC, CRATE);
      const read = await openPublishBody(chunked(body, n), {
        declaredSize: body.length,
        maxMetadata: 1024,
      });
      expect(read.metadata).toEqual(JSON_DOC);
      expect(read.crateLength).toBe(CRATE.length);
      expect(await readAll(read.crate)).toEqual(CRATE);
    },
  );

  it.each([
    ['an empty body', Buffer.alloc(0), /ends before the metadata length/],
    ['a short first length', Buffer.from([1, 0]), /ends before the metadata length/],
    ['a short metadata', Buffer.concat([u32(100), JSON_DOC]), /ends before the metadata is/],
    ['no crate length', Buffer.concat([u32(JSON_DOC.length), JSON_DOC]), /the crate length/],
  ])('refuses %s', async (_label, body, message) => {
    await expect(openPublishBody(Readable.from([body]), { maxMetadata: 1024 })).rejects.toThrow(
      message,
    );
  });

  it('fails the crate stream when the body ends early (Forgejo: length 4, two bytes)', async () => {
    const body = Buffer.concat([u32(JSON_DOC.length), JSON_DOC, u32(4), Buffer.from('te')]);
    const read = await openPublishBody(chunked(body, 5), { maxMetadata: 1024 });
    await expect(readAll(read.crate)).rejects.toThrow(/ends before the crate is complete/);
  });

  it('fails the crate stream when bytes follow the crate', async () => {
    const body = Buffer.concat([frame(JSON_DOC, CRATE), Buffer.from('extra')]);
    for (const size of [1, body.length]) {
      const read = await openPublishBody(chunked(body, size), { maxMetadata: 1024 });
      await expect(readAll(read.crate)).rejects.toThrow(/goes on after the crate/);
    }
  });

  it('refuses lengths that do not add up to the Content-Length, before reading the crate', async () => {
    const body = frame(JSON_DOC, CRATE);
    for (const declared of [body.length - 1, body.length + 1, 6]) {
      await expect(
        openPublishBody(Readable.from([body]), { declaredSize: declared, maxMetadata: 1024 }),
      ).rejects.toThrow(/do not add up to the body's Content-Length/);
    }
  });

  it('refuses metadata over the limit with a 413', async () => {
    const err = await openPublishBody(Readable.from([frame(JSON_DOC, CRATE)]), {
      maxMetadata: 8,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(413);
  });
});
