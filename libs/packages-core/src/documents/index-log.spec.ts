import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { UserEntity } from '../entities';
import { PackageType } from '../packages/package-type';
import { BACKENDS } from '../testing/backends';
import { countQueries } from '../testing/count-queries';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
import {
  IndexLogKey,
  IndexLogService,
  IndexLogSpec,
  packFragments,
  unpackFragments,
} from './index-log';

const SPEC: IndexLogSpec = { streams: 2, hashes: ['md5', 'blake2b512', 'sha256'] };
const hex = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

describe('index log fragments', () => {
  it('packs and unpacks the fragments of a segment, empty ones included', () => {
    const parts = [Buffer.from('abc'), Buffer.alloc(0), randomBytes(70000)];
    expect(unpackFragments(packFragments(parts))).toEqual(parts);
  });
});

for (const backend of BACKENDS) {
  describeIf(backend.available, backend.missing, `index log [${backend.name}]`, () => {
    let ctx: CoreTestContext;
    let owner: UserEntity;
    let logs: IndexLogService;
    let key: IndexLogKey;
    let n = 0;

    beforeAll(async () => {
      ctx = await createCoreTestContext(backend);
      owner = await ctx.makeOwner();
      logs = ctx.module.get(IndexLogService);
      key = { ownerId: owner.id, type: PackageType.Alt, log: 'x86_64' };
    });
    afterAll(async () => ctx?.close());

    /** Publishes one file whose index record is `record` (its second stream: the record reversed). */
    async function publish(record: Buffer, log = key.log): Promise<number> {
      const body = randomBytes(16);
      const staged = await ctx.ingest.ingest(Readable.from([body]));
      const name = `pkg${++n}`;
      const result = await ctx.packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Alt, name },
        { version: '1.0-1', creatorId: owner.id },
        { name: `${name}.rpm`, blob: staged, isLead: true },
        {
          inTransaction: (tx) =>
            tx.appendToIndexLog(log, SPEC, [record, Buffer.from(record).reverse()]),
        },
      );
      return result.file.id;
    }

    async function readStream(stream: number): Promise<Buffer> {
      const summary = await logs.summary(key, SPEC);
      const parts: Buffer[] = [];
      for await (const part of logs.read(key, stream, summary!.lastSeq)) parts.push(part);
      return Buffer.concat(parts);
    }

    /** The summary must be what hashing the streams' bytes from scratch gives. */
    async function expectSummaryOf(records: Buffer[]): Promise<void> {
      const plain = Buffer.concat(records);
      const reversed = Buffer.concat(records.map((r) => Buffer.from(r).reverse()));
      const summary = await logs.summary(key, SPEC);
      expect(summary!.segments).toBe(records.length);
      for (const [i, bytes] of [plain, reversed].entries()) {
        expect(await readStream(i)).toEqual(bytes);
        expect(summary!.streams[i]).toEqual({
          size: bytes.length,
          digests: {
            md5: hex('md5', bytes),
            blake2b512: hex('blake2b512', bytes),
            sha256: hex('sha256', bytes),
          },
        });
      }
    }

    it('is empty before anything is appended', async () => {
      expect(await logs.summary(key, SPEC)).toBeNull();
    });

    it('keeps the running sizes and digests of every stream as files are published', async () => {
      const records = [randomBytes(100), randomBytes(3000), Buffer.from('x')];
      for (const r of records) await publish(r);
      await expectSummaryOf(records);
      expect(await logs.logs(owner.id, PackageType.Alt)).toEqual(['x86_64']);
    });

    it('appends with the same number of queries, however long the log', async () => {
      const counted = async (log: string) => {
        const staged = await ctx.ingest.ingest(Readable.from([randomBytes(8)]));
        const name = `counted${++n}`;
        const { queries } = await countQueries(ctx.db.dataSource, () =>
          ctx.packages.createVersionWithFile(
            { ownerId: owner.id, type: PackageType.Alt, name },
            { version: '1', creatorId: owner.id },
            { name: `${name}.rpm`, blob: staged },
            {
              inTransaction: (tx) =>
                tx.appendToIndexLog(log, SPEC, [Buffer.from('a'), Buffer.from('b')]),
            },
          ),
        );
        return queries.length;
      };
      const short = await counted('short');
      for (let i = 0; i < 20; i++) await publish(randomBytes(10), 'long');
      expect(await counted('long')).toBe(short);
    });

    it('recomputes from a deleted file onwards, however the file was deleted', async () => {
      await ctx.db.manager.query('DELETE FROM index_segment WHERE owner_id = ? AND log = ?', [
        owner.id,
        key.log,
      ]);
      const records = Array.from({ length: 5 }, (_, i) => randomBytes(50 + i));
      const ids: number[] = [];
      for (const r of records) ids.push(await publish(r));
      await ctx.packages.deleteFile(ids[2]);
      await expectSummaryOf([records[0], records[1], records[3], records[4]]);
      await ctx.packages.deleteFile(ids[0]);
      await ctx.packages.deleteFile(ids[4]);
      const next = randomBytes(77);
      await publish(next);
      await expectSummaryOf([records[1], records[3], next]);
    });

    it('keeps every one of concurrent appends', async () => {
      const concurrent = { ...key, log: 'concurrent' };
      const records = Array.from({ length: 6 }, () => randomBytes(40));
      await Promise.all(records.map((r) => publish(r, concurrent.log)));
      const summary = await logs.summary(concurrent, SPEC);
      expect(summary!.segments).toBe(records.length);
      const parts: Buffer[] = [];
      for await (const part of logs.read(concurrent, 0, summary!.lastSeq)) parts.push(part);
      const sorted = (list: Buffer[]) => list.map((b) => b.toString('hex')).sort();
      expect(sorted(parts)).toEqual(sorted(records));
      expect(summary!.streams[0].digests.md5).toBe(hex('md5', Buffer.concat(parts)));
    });
  });
}
