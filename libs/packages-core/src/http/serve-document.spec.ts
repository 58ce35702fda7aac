import express from 'express';
import request from 'supertest';
import { GeneratedDocument, keepEncodedBody, serveDocument } from './serve-document';

/** An app serving whichever document `current` holds at the time of the request. */
function appServing(current: () => GeneratedDocument) {
  const app = express();
  app.get('/doc', (req, res) => serveDocument(req, res, current()));
  return app;
}

describe('serveDocument', () => {
  const text = 'entries:\n  snowman: "\u2603"\n'.repeat(1000);

  it('sends a kept string body as its UTF-8 bytes, with their length', async () => {
    const doc: GeneratedDocument = { body: text, contentType: 'text/plain; charset=utf-8' };
    expect(keepEncodedBody(doc)).toBe(Buffer.byteLength(text));
    const res = await request(appServing(() => doc))
      .get('/doc')
      .expect(200);
    expect(res.text).toBe(text);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('keeps the bytes for that object only: a copy with another body sends its own', async () => {
    const doc: GeneratedDocument = { body: 'first', contentType: 'text/plain' };
    keepEncodedBody(doc);
    const copy = { ...doc, body: 'second, longer' };
    const res = await request(appServing(() => copy))
      .get('/doc')
      .expect(200);
    expect(res.text).toBe('second, longer');
    expect(res.headers['content-length']).toBe('14');
    expect(
      (
        await request(appServing(() => doc))
          .get('/doc')
          .expect(200)
      ).text,
    ).toBe('first');
  });

  it('holds nothing more for a Buffer body', () => {
    expect(keepEncodedBody({ body: Buffer.from('bytes'), contentType: 'text/plain' })).toBe(0);
  });
});
