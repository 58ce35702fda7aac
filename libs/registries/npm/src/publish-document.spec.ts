import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Base64Decoder, readPublishDocument } from './publish-document';

/** Decodes `pieces` as the parser hands them over; the bytes, or the error. */
async function decodeAll(pieces: string[]): Promise<Buffer> {
  const decoder = new Base64Decoder();
  const out = buffer(decoder.output);
  for (const piece of pieces) decoder.output.write(decoder.decode(piece));
  decoder.finish();
  return out;
}

describe('Base64Decoder', () => {
  it('decodes the same bytes wherever the text is cut, the padding included', async () => {
    for (const length of [1, 2, 3, 4, 5, 31]) {
      const bytes = randomBytes(length);
      const text = bytes.toString('base64');
      for (let cut = 0; cut <= text.length; cut++)
        for (let cut2 = cut; cut2 <= text.length; cut2++) {
          const pieces = [text.slice(0, cut), text.slice(cut, cut2), text.slice(cut2)];
          expect(await decodeAll(pieces)).toEqual(bytes);
        }
    }
  });

  it('decodes URL-safe base64 and ignores line breaks', async () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(await decodeAll(['-__-\n', 'AQ=', '='])).toEqual(bytes);
  });

  it.each([
    ['a character outside the alphabet', ['QUJD', 'R*=='], '*'],
    ['data after the padding, in the same piece', ['YQ==YQ=='], 'same'],
    ['data after the padding, in a later piece', ['YQ=', '=', 'YQ'], 'later'],
    ['a single character left over', ['QUJDR'], 'left'],
  ])('refuses %s', async (_what, pieces) => {
    await expect(decodeAll(pieces)).rejects.toThrow(
      'package attachment is invalid: data is not base64',
    );
  });
});

describe('readPublishDocument', () => {
  it('streams the attachment out of a document whose padding the parser cuts', async () => {
    // Random tarballs of every length mod 3, as bodies cut at every few bytes: the
    // parser's string chunks end wherever a body chunk ends.
    for (const length of [3000, 3001, 3002]) {
      const tarball = randomBytes(length);
      const json = JSON.stringify({
        name: 'x',
        _attachments: { 'x-1.0.0.tgz': { data: tarball.toString('base64'), length } },
      });
      const end = json.indexOf('"', json.indexOf('"data":"') + 8); // the closing quote of data
      for (const cut of [end - 2, end - 1, end]) {
        const body = Readable.from([Buffer.from(json.slice(0, cut)), Buffer.from(json.slice(cut))]);
        const read = await readPublishDocument(
          body,
          (bytes) => buffer(bytes),
          async () => undefined,
        );
        expect(read.attachment?.result).toEqual(tarball);
        expect(read.doc.name).toBe('x');
      }
    }
  });
});
