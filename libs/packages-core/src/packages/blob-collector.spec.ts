import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { nowUnix, PackageBlobEntity, PackageBlobUploadEntity } from '../entities';
import { blobKey, generateStorageId } from '../storage/blob-keys';
import { BACKENDS, minioClient, MYSQL_S3 } from '../testing/backends';
import { describeIf } from '../testing/test-env';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { BlobCollector, GC_PURPOSE } from './blob-collector';
import { queueObjects } from './gc-queue';
import { PackageType } from './package-type';

// docs/protocols/core.md §9 step 5: unreferenced blobs in rounds, through a queue row.
// Small rounds (the job uses 1000) keep the S3 run short: the test server deletes slowly.
const ROUND = 40;
for (const backend of BACKENDS) {
  describeIf(backend.available, backend.missing, `blob collection [${backend.name}]`, () => {
    let ctx: CoreTestContext;

    beforeAll(async () => {
      ctx = await createCoreTestContext(backend);
    });
    afterAll(async () => ctx?.close());

    const objects = async () => {
      const keys: string[] = [];
      for await (const e of ctx.storage.list('blobs/')) keys.push(e.key);
      return keys;
    };
    /** Blob rows with objects and no file, as deleted versions leave them. */
    const orphanBlobs = async (n: number, createdUnix = 1) => {
      const ids = Array.from({ length: n }, () => generateStorageId());
      for (const id of ids) await ctx.storage.put(blobKey(id), Readable.from([randomBytes(8)]));
      for (let i = 0; i < n; i += 500)
        await ctx.db.manager.insert(
          PackageBlobEntity,
          ids.slice(i, i + 500).map((storageId) => ({
            storageId,
            size: 8,
            hashMd5: randomBytes(16).toString('hex'),
            hashSha1: randomBytes(20).toString('hex'),
            hashSha256: randomBytes(32).toString('hex'),
            hashSha512: randomBytes(64).toString('hex'),
            createdUnix,
          })),
        );
      return ids;
    };

    it('removes every unreferenced blob older than the cut-off, over several rounds, and nothing else', async () => {
      const owner = await ctx.makeOwner();
      const kept = await ctx.packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Generic, name: 'kept' },
        { version: '1', creatorId: owner.id },
        { name: 'f', blob: await ctx.ingest.ingest(Readable.from([Buffer.from('kept')])) },
      );
      await orphanBlobs(2 * ROUND + 7);
      const [young] = await orphanBlobs(1, nowUnix());
      const removed = await ctx.module
        .get(BlobCollector)
        .collect(nowUnix() - 60, () => true, ROUND);
      expect(removed).toBe(2 * ROUND + 7);
      const rows = await ctx.db.manager.find(PackageBlobEntity);
      expect(rows.map((r) => r.id).sort()).toEqual(
        [kept.file.blobId, rows.find((r) => r.storageId === young)!.id].sort(),
      );
      expect((await objects()).sort()).toEqual(rows.map((r) => blobKey(r.storageId)).sort());
      expect(await ctx.db.manager.count(PackageBlobUploadEntity)).toBe(0);
    });

    it('keeps a few rounds deleting at once, and a failed storage delete leaves its round queued for the next pass', async () => {
      const before = (await ctx.db.manager.find(PackageBlobEntity)).map((r) => r.id).sort();
      const objectsBefore = (await objects()).sort();
      await orphanBlobs(5 * ROUND);
      const storage = ctx.storage;
      const deleteMany = storage.deleteMany;
      // Deletes are held until three run at once (or 10 s pass), then open; the fourth fails.
      let calls = 0;
      let busy = 0;
      let mostBusy = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const gateTimer = setTimeout(open, 10_000);
      storage.deleteMany = async (keys) => {
        const call = ++calls;
        mostBusy = Math.max(mostBusy, ++busy);
        if (busy === 3) open();
        try {
          await gate;
          if (call === 4) throw new Error('storage went away');
          return await deleteMany.call(storage, keys);
        } finally {
          busy--;
        }
      };
      try {
        await expect(
          ctx.module.get(BlobCollector).collect(nowUnix() - 60, () => true, ROUND, 3),
        ).rejects.toThrow('storage went away');
      } finally {
        storage.deleteMany = deleteMany;
        clearTimeout(gateTimer);
      }
      expect(mostBusy).toBe(3);
      // Rows of the failed round are gone and its objects are queued, never a row without its object.
      const rows = await ctx.db.manager.find(PackageBlobEntity);
      const queued = await ctx.db.manager.find(PackageBlobUploadEntity);
      expect(queued).toHaveLength(ROUND);
      expect(queued.every((q) => q.purpose === GC_PURPOSE)).toBe(true);
      const keys = new Set(await objects());
      for (const r of rows) expect(keys.has(blobKey(r.storageId))).toBe(true);
      expect(keys.size).toBe(rows.length + ROUND);
      // The next pass finishes the job.
      expect((await ctx.cleanup.run()).ran).toBe(true);
      expect((await ctx.db.manager.find(PackageBlobEntity)).map((r) => r.id).sort()).toEqual(
        before,
      );
      expect(await ctx.db.manager.count(PackageBlobUploadEntity)).toBe(0);
      expect((await objects()).sort()).toEqual(objectsBefore);
    });

    it('a version deleted by a process that dies before its objects go leaves them queued for the next pass', async () => {
      const owner = await ctx.makeOwner();
      const { version, file } = await ctx.packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Generic, name: 'doomed' },
        { version: '1', creatorId: owner.id },
        { name: 'f', blob: await ctx.ingest.ingest(Readable.from([randomBytes(32)])) },
      );
      const blob = await ctx.db.manager.findOneByOrFail(PackageBlobEntity, { id: file.blobId });
      const storage = ctx.storage;
      const remove = storage.delete;
      storage.delete = () => Promise.reject(new Error('killed'));
      try {
        await expect(ctx.packages.deleteVersion(version.id)).rejects.toThrow('killed');
      } finally {
        storage.delete = remove;
      }
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: blob.id })).toBe(false);
      expect(
        await ctx.db.manager.findOneBy(PackageBlobUploadEntity, { id: blob.storageId }),
      ).toMatchObject({
        purpose: GC_PURPOSE,
      });
      expect(await objects()).toContain(blobKey(blob.storageId));
      expect((await ctx.cleanup.run()).ran).toBe(true);
      expect(await objects()).not.toContain(blobKey(blob.storageId));
      expect(await ctx.db.manager.count(PackageBlobUploadEntity)).toBe(0);
    });

    it('a collection killed between the rows and the objects is finished by the next pass', async () => {
      // What a round leaves when its process dies after the commit: queue row, object, no blob row.
      const [id] = await orphanBlobs(1);
      await ctx.db.transaction(async (em) => {
        await em.delete(PackageBlobEntity, { storageId: id });
        await queueObjects(em, [id]);
      });
      const report = await ctx.cleanup.run();
      expect(report.ran).toBe(true);
      expect(await objects()).not.toContain(blobKey(id));
      expect(await ctx.db.manager.count(PackageBlobUploadEntity)).toBe(0);
    });

    it('aborts incomplete multipart uploads started before the cut-off', async () => {
      const settings = ctx.config.storage;
      if (settings.kind !== 's3') {
        expect(await ctx.storage.abortIncompleteUploads(new Date(Date.now() + 60_000))).toBe(0);
        return;
      }
      // What a replica killed mid-upload leaves: an initiated upload, invisible to list().
      const client = minioClient();
      const key = blobKey(generateStorageId());
      await client.initiateNewMultipartUpload(settings.bucket, key, {});
      // Not yet older than the cut-off: kept.
      expect(await ctx.storage.abortIncompleteUploads(new Date(Date.now() - 60_000))).toBe(0);
      expect(await ctx.storage.abortIncompleteUploads(new Date(Date.now() + 60_000))).toBe(1);
      expect(await ctx.storage.abortIncompleteUploads(new Date(Date.now() + 60_000))).toBe(0);
    });
  });
}

// docs/protocols/core.md §9 step 2: what a replica killed mid-upload leaves on S3 (an
// initiated multipart upload, invisible to list()) goes with the job once it is older
// than the upload-session TTL, and not before.
describeIf(MYSQL_S3.available, MYSQL_S3.missing, 'the cleanup job on S3 [mysql+s3]', () => {
  let ctx: CoreTestContext;
  beforeAll(async () => {
    ctx = await createCoreTestContext(MYSQL_S3, { REGISTRY_UPLOAD_SESSION_TTL: '2s' });
  });
  afterAll(async () => ctx?.close());

  it('aborts incomplete multipart uploads older than the upload-session TTL, and only those', async () => {
    const settings = ctx.config.storage;
    if (settings.kind !== 's3') throw new Error('expected the S3 backend');
    const client = minioClient();
    const incomplete = async () => {
      const page = await client.listIncompleteUploadsQuery(settings.bucket, '', '', '', '');
      return page.uploads.map((u) => u.uploadId).sort();
    };
    const old = await client.initiateNewMultipartUpload(
      settings.bucket,
      blobKey(generateStorageId()),
      {},
    );
    // Swift reports `initiated` rounded up to the second, and the job's clock is in whole seconds.
    await new Promise((r) => setTimeout(r, 4500));
    const young = await client.initiateNewMultipartUpload(
      settings.bucket,
      blobKey(generateStorageId()),
      {},
    );
    expect(await incomplete()).toEqual([old, young].sort());
    const report = await ctx.cleanup.run();
    expect(report).toMatchObject({ ran: true, abortedMultipartUploads: 1 });
    expect(await incomplete()).toEqual([young]);
  });
});
