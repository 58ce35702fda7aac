/**
 * The one behaviour suite every BlobStorage backend runs (after distribution's storage
 * driver test suite). A backend's spec is a few lines:
 *
 *   describeBlobStorageContract('fs', async () => ({ storage: new FsBlobStorage(dir) }));
 *
 * Every call goes through {@link ValidatedBlobStorage}, as in the service. Keys live
 * under a random `test-<hex>/` prefix (plus a few built by blob-keys.ts, tracked);
 * afterAll fails the suite if any of them is left behind, or if the backend reports
 * internal debris (temporary files, incomplete multipart uploads).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { blobKey, generateStorageId, uploadKey } from './blob-keys';
import {
  BlobNotFoundError,
  BlobStorage,
  InvalidBlobKeyError,
  RangeNotSatisfiableError,
} from './blob-storage';
import { ValidatedBlobStorage } from './validated-blob-storage';

export interface ContractBackend {
  storage: BlobStorage;
  /** runs after the leftover check (remove the directory, the bucket) */
  cleanup?: () => Promise<void>;
  /** what the driver keeps outside the key space: temp files, incomplete uploads */
  debris?: () => Promise<string[]>;
}

export interface ContractFeatures {
  /** presignedGetUrl returns a URL (S3); otherwise it must return undefined (fs) */
  presignedUrls?: boolean;
  /** objects can grow in place (`append`, fs); S3's cannot. Defaults to !presignedUrls. */
  appendable?: boolean;
}

function backendAppends(features: ContractFeatures): boolean {
  return features.appendable ?? !features.presignedUrls;
}

const MiB = 1024 * 1024;

export function describeBlobStorageContract(
  name: string,
  makeStorage: () => Promise<ContractBackend>,
  features: ContractFeatures = {},
): void {
  describe(`BlobStorage contract: ${name}`, () => {
    const prefix = `test-${randomBytes(6).toString('hex')}/`;
    const trackedKeys: string[] = [];
    let backend: ContractBackend;
    let storage: ValidatedBlobStorage;

    /** A key under the suite's prefix (each test names its own). */
    const key = (path: string) => prefix + path;
    /** A key in the service's real layout; remembered for the leftover check. */
    const tracked = (k: string) => (trackedKeys.push(k), k);

    beforeAll(async () => {
      backend = await makeStorage();
      storage = new ValidatedBlobStorage(backend.storage);
    });

    afterAll(async () => {
      if (!storage) return; // makeStorage failed; that error is already reported
      const left = await leftovers(storage, prefix, trackedKeys);
      for (const k of left) await storage.delete(k); // leave the backend clean either way
      const debris = backend.debris ? await backend.debris() : [];
      await backend.cleanup?.();
      if (left.length > 0 || debris.length > 0) {
        throw new Error(`the suite left objects behind: ${JSON.stringify({ left, debris })}`);
      }
    });

    describe('put and get', () => {
      it('round-trips bytes and resolves with the size', async () => {
        const k = key('roundtrip');
        const data = randomBytes(100_000);
        await expect(storage.put(k, chunked(data, 7_000), data.length)).resolves.toBe(data.length);
        expect(await readAll(await storage.get(k))).toEqual(data);
        await storage.delete(k);
      });

      it('stores an empty object', async () => {
        const k = key('empty');
        await expect(storage.put(k, Readable.from([]), 0)).resolves.toBe(0);
        expect((await readAll(await storage.get(k))).length).toBe(0);
        expect((await storage.stat(k)).size).toBe(0);
        await storage.delete(k);
      });

      it('replaces an object on overwrite', async () => {
        const k = key('overwrite');
        await storage.put(k, bytes('first version, longer'));
        await storage.put(k, bytes('second'));
        expect((await readAll(await storage.get(k))).toString()).toBe('second');
        expect((await storage.stat(k)).size).toBe(6);
        await storage.delete(k);
      });

      it('stores under keys built by blob-keys.ts', async () => {
        const keys = [
          tracked(blobKey(generateStorageId())),
          tracked(uploadKey(generateStorageId())),
        ];
        for (const k of keys) await storage.put(k, bytes(k));
        for (const k of keys) expect((await readAll(await storage.get(k))).toString()).toBe(k);
        for (const k of keys) await storage.delete(k);
      });

      it('accepts a body of unknown length without a size', async () => {
        const k = key('no-size');
        await expect(storage.put(k, chunked(Buffer.alloc(3000, 7), 1000))).resolves.toBe(3000);
        await storage.delete(k);
      });
    });

    describe('ranged get', () => {
      const k = key('range');
      const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
      beforeAll(() => storage.put(k, bytes(data)));
      afterAll(() => storage.delete(k));

      const cases: [string, { start: number; end?: number }, number[]][] = [
        ['the first byte', { start: 0, end: 0 }, [0, 0]],
        ['a middle slice', { start: 10, end: 19 }, [10, 19]],
        ['to the end', { start: 90 }, [90, 99]],
        ['the last byte', { start: 99, end: 99 }, [99, 99]],
        ['an end past the object, clamped', { start: 95, end: 1000 }, [95, 99]],
        ['everything', { start: 0 }, [0, 99]],
      ];
      it.each(cases)('returns %s', async (_label, range, [first, last]) => {
        expect(await readAll(await storage.get(k, range))).toEqual(data.subarray(first, last + 1));
      });

      it('rejects a start at or past the size with RangeNotSatisfiableError', async () => {
        for (const start of [100, 5000]) {
          const err = await storage.get(k, { start }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(RangeNotSatisfiableError);
          expect(err).toMatchObject({ key: k, size: 100 });
        }
      });

      it('rejects any range on an empty object', async () => {
        const empty = key('range-empty');
        await storage.put(empty, Readable.from([]));
        const err = await storage.get(empty, { start: 0 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(RangeNotSatisfiableError);
        expect(err).toMatchObject({ size: 0 });
        await storage.delete(empty);
      });
    });

    describe('stat, missing keys and delete', () => {
      it('stats size and a recent modification time', async () => {
        const k = key('stat');
        const before = Date.now();
        await storage.put(k, bytes('12345'));
        const s = await storage.stat(k);
        expect(s.size).toBe(5);
        // not toBeInstanceOf(Date): fs.stat's Date comes from Node's realm, not Jest's
        expect(Object.prototype.toString.call(s.modified)).toBe('[object Date]');
        // S3's Last-Modified has whole seconds; allow a little clock skew too
        expect(Math.abs(s.modified.getTime() - before)).toBeLessThan(60_000);
        await storage.delete(k);
      });

      it('rejects get and stat of a missing key with BlobNotFoundError', async () => {
        const k = key('missing');
        await expect(storage.get(k)).rejects.toEqual(new BlobNotFoundError(k));
        await expect(storage.get(k, { start: 0 })).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(storage.stat(k)).rejects.toEqual(new BlobNotFoundError(k));
      });

      it('treats a key prefix as missing, not as an object', async () => {
        const k = key('dir/inside');
        await storage.put(k, bytes('x'));
        await expect(storage.stat(key('dir'))).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(storage.get(key('dir'))).rejects.toBeInstanceOf(BlobNotFoundError);
        await storage.delete(key('dir')); // no such object: a no-op that leaves `inside`
        expect((await storage.stat(k)).size).toBe(1);
        await storage.delete(k);
      });

      it('deletes idempotently', async () => {
        const k = key('delete');
        await storage.put(k, bytes('gone soon'));
        await storage.delete(k);
        await expect(storage.stat(k)).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(storage.delete(k)).resolves.toBeUndefined();
        await expect(storage.delete(key('never-existed/at-all'))).resolves.toBeUndefined();
      });
    });

    describe('list', () => {
      const stored: Record<string, number> = {
        'list/a': 1,
        'list/b/c': 2,
        'list/b/d': 3,
        'list/b0': 4,
        'list-x': 5,
        'other/e': 6,
      };
      beforeAll(async () => {
        for (const [path, size] of Object.entries(stored)) {
          await storage.put(key(path), bytes(Buffer.alloc(size)));
        }
      });
      afterAll(async () => {
        for (const path of Object.keys(stored)) await storage.delete(key(path));
      });

      it('lists every key under a directory prefix, nested, in lexical order, with sizes', async () => {
        expect(await collect(storage.list(key('list/')))).toEqual([
          { key: key('list/a'), size: 1 },
          { key: key('list/b/c'), size: 2 },
          { key: key('list/b/d'), size: 3 },
          { key: key('list/b0'), size: 4 },
        ]);
      });

      it('matches a prefix by string, not by path segment', async () => {
        // '-' sorts before '/': list-x comes first
        expect((await collect(storage.list(key('list')))).map((e) => e.key)).toEqual(
          ['list-x', 'list/a', 'list/b/c', 'list/b/d', 'list/b0'].map(key),
        );
        expect((await collect(storage.list(key('list/b')))).map((e) => e.key)).toEqual(
          ['list/b/c', 'list/b/d', 'list/b0'].map(key),
        );
      });

      it('lists nothing under an unused prefix', async () => {
        expect(await collect(storage.list(key('nothing-here/')))).toEqual([]);
        expect(await collect(storage.list(`${prefix}zz`))).toEqual([]);
      });
    });

    describe('a failing body', () => {
      // 64 KiB fails inside the first write; 12 MiB fails after whole S3 parts were sent
      it.each([64 * 1024, 12 * MiB])(
        'rejects with the body error after %d bytes and leaves nothing behind',
        async (failAfter) => {
          const k = key(`fail-${failAfter}`);
          const failure = new Error('client went away');
          const body = generated(failAfter + MiB, { failAfter, failure });
          await expect(storage.put(k, body.stream)).rejects.toBe(failure);
          await expect(storage.stat(k)).rejects.toBeInstanceOf(BlobNotFoundError);
          expect(await collect(storage.list(k))).toEqual([]);
          expect(backend.debris ? await backend.debris() : []).toEqual([]);
        },
      );

      it('keeps the previous object when an overwrite fails', async () => {
        const k = key('fail-overwrite');
        await storage.put(k, bytes('kept'));
        const failure = new Error('aborted');
        await expect(
          storage.put(k, generated(MiB, { failAfter: 1000, failure }).stream),
        ).rejects.toBe(failure);
        expect((await readAll(await storage.get(k))).toString()).toBe('kept');
        await storage.delete(k);
      });
    });

    it('round-trips a 40 MiB stream with its sha256 intact', async () => {
      const k = key('large');
      const source = generated(40 * MiB);
      await expect(storage.put(k, source.stream)).resolves.toBe(40 * MiB);
      expect((await storage.stat(k)).size).toBe(40 * MiB);
      expect(await sha256Of(await storage.get(k))).toBe(source.sha256());
      const tail = await readAll(await storage.get(k, { start: 40 * MiB - 10 }));
      expect(tail.length).toBe(10);
      await storage.delete(k);
    });

    describe('invalid keys', () => {
      const invalid = [
        '../x',
        '/abs',
        'blobs/../../etc',
        'Upper',
        '',
        'a//b',
        'a/./b',
        'trailing/',
      ];
      it.each(invalid)('rejects %j with InvalidBlobKeyError before the driver', async (bad) => {
        const body = bytes('never stored');
        await expect(storage.put(bad, body)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(storage.get(bad)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(storage.stat(bad)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(storage.delete(bad)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(storage.presignedGetUrl(bad, { expiresSeconds: 60 })).rejects.toBeInstanceOf(
          InvalidBlobKeyError,
        );
      });

      it('rejects an invalid list prefix', async () => {
        await expect(collect(storage.list('../'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(collect(storage.list('/x/'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });
    });

    describe('append', () => {
      if (backendAppends(features)) {
        it('grows the object in place, cutting off what lies past the offset first', async () => {
          const k = key('append/session');
          expect(storage.appendable).toBe(true);
          await expect(storage.append(k, 0, bytes('hello '))).resolves.toBe(6);
          await expect(storage.append(k, 6, bytes('wor'))).resolves.toBe(3);
          // a failed append left "xyz" past offset 9 (as a crash would): cut before writing
          const failure = new Error('client went away');
          const broken = generated(4 * MiB, { failAfter: 512 * 1024, failure });
          await expect(storage.append(k, 9, broken.stream)).rejects.toBe(failure);
          expect((await storage.stat(k)).size).toBe(9);
          await expect(storage.append(k, 9, bytes('ld'))).resolves.toBe(2);
          expect((await readAll(await storage.get(k))).toString()).toBe('hello world');
          // an append at a shorter offset drops the tail: what the session says it has wins
          await expect(storage.append(k, 5, bytes('!'))).resolves.toBe(1);
          expect((await readAll(await storage.get(k))).toString()).toBe('hello!');
          // an empty body only cuts
          await expect(storage.append(k, 5, bytes(''))).resolves.toBe(0);
          expect((await storage.stat(k)).size).toBe(5);
          await storage.delete(k);
        });

        it('refuses an offset past the end, or a missing object, and keeps the bytes', async () => {
          const k = key('append/short');
          await storage.append(k, 0, bytes('abc'));
          await expect(storage.append(k, 4, bytes('x'))).rejects.toBeInstanceOf(
            RangeNotSatisfiableError,
          );
          expect((await readAll(await storage.get(k))).toString()).toBe('abc');
          await expect(storage.append(key('append/none'), 3, bytes('x'))).rejects.toBeInstanceOf(
            BlobNotFoundError,
          );
          await storage.delete(k);
        });

        it('appends a large body with flat memory, and its bytes are the body', async () => {
          const k = key('append/large');
          const first = generated(3 * MiB);
          await storage.append(k, 0, first.stream);
          const second = generated(9 * MiB);
          await expect(storage.append(k, 3 * MiB, second.stream)).resolves.toBe(9 * MiB);
          const whole = await readAll(await storage.get(k));
          expect(whole.length).toBe(12 * MiB);
          expect(
            createHash('sha256')
              .update(whole.subarray(3 * MiB))
              .digest('hex'),
          ).toBe(second.sha256());
          await storage.delete(k);
        });
      } else {
        it('is not offered, and append rejects without writing', async () => {
          expect(storage.appendable).toBe(false);
          await expect(storage.append(key('append/x'), 0, bytes('x'))).rejects.toThrow(
            /cannot be appended/,
          );
          await expect(storage.stat(key('append/x'))).rejects.toBeInstanceOf(BlobNotFoundError);
        });
      }
    });

    describe('join', () => {
      if (features.presignedUrls) {
        it('joins objects on the server into the first one’s key, keeping the sources', async () => {
          const a = generated(5 * MiB);
          const b = generated(300 * 1024);
          const [ka, kb] = [key('join/a'), key('join/b')];
          await storage.put(ka, a.stream);
          await storage.put(kb, b.stream);
          await expect(
            storage.join(ka, [
              { key: ka, size: 5 * MiB },
              { key: kb, size: 300 * 1024 },
            ]),
          ).resolves.toBe(true);
          const whole = await readAll(await storage.get(ka));
          expect(whole.length).toBe(5 * MiB + 300 * 1024);
          expect(
            createHash('sha256')
              .update(whole.subarray(0, 5 * MiB))
              .digest('hex'),
          ).toBe(a.sha256());
          expect(
            createHash('sha256')
              .update(whole.subarray(5 * MiB))
              .digest('hex'),
          ).toBe(b.sha256());
          expect((await storage.stat(kb)).size).toBe(300 * 1024);
          await storage.deleteMany([ka, kb]);
        });
      }

      it('declines what S3 cannot join (a part under 5 MiB before the last) and changes nothing', async () => {
        const [ka, kb, kt] = [key('join/small-a'), key('join/small-b'), key('join/target')];
        await storage.put(ka, bytes('first'));
        await storage.put(kb, bytes('second'));
        await expect(
          storage.join(kt, [
            { key: ka, size: 5 },
            { key: kb, size: 6 },
          ]),
        ).resolves.toBe(false);
        await expect(storage.stat(kt)).rejects.toBeInstanceOf(BlobNotFoundError);
        expect((await readAll(await storage.get(ka))).toString()).toBe('first');
        await storage.deleteMany([ka, kb]);
      });
    });

    describe('presignedGetUrl', () => {
      if (features.presignedUrls) {
        it('returns a URL that serves the bytes with the given headers', async () => {
          const k = key('presigned');
          await storage.put(k, bytes('presigned body'));
          const filename = 'wharf-1.0 ünï "q".tgz';
          const url = await storage.presignedGetUrl(k, {
            expiresSeconds: 60,
            filename,
            contentType: 'application/gzip',
          });
          const res = await fetch(url!);
          expect(res.status).toBe(200);
          expect(await res.text()).toBe('presigned body');
          expect(res.headers.get('content-type')).toBe('application/gzip');
          const disposition = res.headers.get('content-disposition') ?? '';
          expect(disposition).toMatch(
            /^attachment; filename="wharf-1\.0 _n_ _q_\.tgz"; filename\*=UTF-8''/,
          );
          expect(decodeURIComponent(disposition.split("UTF-8''")[1])).toBe(filename);
          await storage.delete(k);
        });
      } else {
        it('returns undefined (downloads stream through the service)', async () => {
          await expect(
            storage.presignedGetUrl(key('any'), { expiresSeconds: 60 }),
          ).resolves.toBeUndefined();
        });
      }
    });

    it('pings', async () => {
      await expect(storage.ping()).resolves.toBeUndefined();
    });
  });
}

/** Keys under the prefix, and tracked keys, that still exist. */
async function leftovers(
  storage: BlobStorage,
  prefix: string,
  tracked: string[],
): Promise<string[]> {
  const left = (await collect(storage.list(prefix))).map((e) => e.key);
  for (const k of tracked) {
    const exists = await storage.stat(k).then(
      () => true,
      (err: unknown) => {
        if (err instanceof BlobNotFoundError) return false;
        throw err;
      },
    );
    if (exists) left.push(k);
  }
  return left;
}

function bytes(data: string | Buffer): Readable {
  return Readable.from([Buffer.from(data)]);
}

/** `data` as a stream of `size`-byte chunks (exercises the part-cutting code). */
function chunked(data: Buffer, size: number): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );
}

/**
 * `total` pseudo-random bytes produced on demand (never held whole), hashed as they are
 * produced; with `failAfter`, the stream errors with `failure` after that many bytes.
 */
function generated(
  total: number,
  fail?: { failAfter: number; failure: Error },
): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  const limit = fail ? Math.min(total, fail.failAfter) : total;
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= limit) {
        if (fail) this.destroy(fail.failure);
        else this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(256 * 1024, limit - sent));
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
