import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  PackageBlobEntity,
  PackageBlobUploadEntity,
  PackageFileEntity,
  PackageVersionEntity,
  PropertyRefType,
  UserEntity,
} from '../entities';
import { PayloadTooLargeError, RegistryError, RegistryErrorCode } from '../errors/registry-error';
import { StagedBlob } from '../ingest/ingest.service';
import { BACKENDS } from '../testing/backends';
import { describeIf } from '../testing/test-env';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { PackageType } from './package-type';
import { openedBytes } from '../testing/opened-bytes';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A stream that sends `bytes` and then fails, as a client that disconnects midway. */
function abortingStream(bytes: number): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(randomBytes(bytes));
      } else {
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      }
    },
  });
}

for (const backend of BACKENDS) {
  describeIf(backend.available, backend.missing, `package services [${backend.name}]`, () => {
    let ctx: CoreTestContext;
    let owner: UserEntity;

    beforeAll(async () => {
      ctx = await createCoreTestContext(backend, { REGISTRY_LIMIT_SIZE_GENERIC: '1 MiB' });
      owner = await ctx.makeOwner();
    });
    afterAll(async () => ctx?.close());

    /** Everything stored must be accounted for: no staging rows, one object per blob row. */
    async function expectConsistentStorage(): Promise<void> {
      const uploads = await ctx.db.manager.count(PackageBlobUploadEntity);
      expect(uploads).toBe(0);
      const blobs = await ctx.db.manager.find(PackageBlobEntity);
      const keys: string[] = [];
      for await (const e of ctx.storage.list('blobs/')) keys.push(e.key);
      expect(keys.sort()).toEqual(
        blobs
          .map((b) => `blobs/${b.storageId.slice(0, 2)}/${b.storageId.slice(2, 4)}/${b.storageId}`)
          .sort(),
      );
      if (ctx.config.storage.kind === 'fs') {
        const tmp = path.join(ctx.config.storage.root, '.tmp');
        expect(existsSync(tmp) ? readdirSync(tmp) : []).toEqual([]);
      }
    }

    const stage = (content: Buffer | string): Promise<StagedBlob> =>
      ctx.ingest.ingest(Readable.from([Buffer.from(content)]), {
        limit: ctx.config.sizeLimit(PackageType.Generic),
      });

    const pkg = (name: string) => ({ ownerId: owner.id, type: PackageType.Generic, name });
    const ver = (version: string, metadata?: unknown) => ({
      version,
      creatorId: owner.id,
      metadata,
    });

    it('publishes a version with its file: hashes, metadata and properties are stored', async () => {
      const content = randomBytes(70_000);
      const staged = await stage(content);
      expect(staged.sha256).toBe(sha256(content));
      expect(staged.md5).toBe(createHash('md5').update(content).digest('hex'));
      expect(staged.size).toBe(content.length);
      const result = await ctx.packages.createVersionWithFile(
        { ...pkg('Hello-World'), properties: { 'generic.kind': 'tool' } },
        { ...ver('1.0.0', { description: 'hi' }), properties: { 'generic.tag': ['a', 'b'] } },
        { name: 'hello.bin', blob: staged, isLead: true, properties: { 'generic.arch': 'x86_64' } },
      );
      expect(result.createdVersion).toBe(true);
      const desc = (await ctx.query.loadDescriptor(result.version.id))!;
      expect(desc.package.name).toBe('Hello-World');
      expect(desc.package.lowerName).toBe('hello-world');
      expect(desc.metadata).toEqual({ description: 'hi' });
      expect(desc.packageProperties).toEqual({ 'generic.kind': ['tool'] });
      expect(desc.versionProperties).toEqual({ 'generic.tag': ['a', 'b'] });
      expect(desc.files).toHaveLength(1);
      expect(desc.files[0].blob.hashSha512).toBe(
        createHash('sha512').update(content).digest('hex'),
      );
      expect(desc.files[0].properties).toEqual({ 'generic.arch': ['x86_64'] });
      const opened = await ctx.downloads.openFile(desc.files[0].file, desc.files[0].blob, {
        countDownload: true,
      });
      expect(sha256(await openedBytes(opened))).toBe(sha256(content));
      const ranged = await ctx.downloads.openBlob(desc.files[0].blob, {
        range: { start: 10, end: 19 },
      });
      expect(await openedBytes(ranged)).toEqual(content.subarray(10, 20));
      expect((await ctx.query.findVersion(result.package.id, '1.0.0'))!.downloadCount).toBe(1);
      // names are found case-insensitively
      expect(
        (await ctx.query.findVersionByName(owner.id, PackageType.Generic, 'HELLO-world', '1.0.0'))
          ?.version.id,
      ).toBe(result.version.id);
      await expectConsistentStorage();
    });

    it('stores identical content once and drops the second staged copy', async () => {
      const content = Buffer.from(`same bytes ${randomBytes(8).toString('hex')}`);
      const a = await ctx.packages.createOrAddFile(pkg('dedupe'), ver('1'), {
        name: 'a.txt',
        blob: await stage(content),
      });
      const b = await ctx.packages.createOrAddFile(pkg('dedupe'), ver('2'), {
        name: 'b.txt',
        blob: await stage(content),
      });
      expect(a.file.blobId).toBe(b.file.blobId);
      expect(await ctx.db.manager.countBy(PackageBlobEntity, { hashSha256: sha256(content) })).toBe(
        1,
      );
      await expectConsistentStorage();
    });

    it('refuses an existing version and an existing file with a conflict, keeping nothing of the attempt', async () => {
      await ctx.packages.createVersionWithFile(pkg('conflicts'), ver('1.0'), {
        name: 'x',
        blob: await stage('one'),
      });
      const again = ctx.packages.createVersionWithFile(pkg('CONFLICTS'), ver('1.0'), {
        name: 'y',
        blob: await stage(randomBytes(100)),
      });
      await expect(again).rejects.toMatchObject({ code: RegistryErrorCode.Conflict });
      const sameFile = ctx.packages.createOrAddFile(pkg('conflicts'), ver('1.0'), {
        name: 'X',
        blob: await stage(randomBytes(100)),
      });
      await expect(sameFile).rejects.toMatchObject({ code: RegistryErrorCode.Conflict });
      const missing = ctx.packages.addFileToVersion(pkg('conflicts'), ver('9.9'), {
        name: 'z',
        blob: await stage(randomBytes(10)),
      });
      await expect(missing).rejects.toMatchObject({ code: RegistryErrorCode.NotFound });
      const overwritten = await ctx.packages.createOrAddFile(pkg('conflicts'), ver('1.0'), {
        name: 'x',
        overwrite: true,
        blob: await stage('two'),
      });
      expect(overwritten.createdVersion).toBe(false);
      const files = await ctx.query.listFiles(overwritten.version.id);
      expect(files.map((f) => f.blob.hashSha256)).toEqual([sha256(Buffer.from('two'))]);
      await ctx.packages.removeUnreferencedBlobs(await allBlobIds());
      await expectConsistentStorage();
    });

    it('two concurrent publishes of one version: exactly one succeeds, the others conflict, nothing half-written', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, async (_, i) =>
          ctx.packages.createVersionWithFile(pkg('race'), ver('2.0.0'), {
            name: `file-${i}.bin`,
            blob: await stage(randomBytes(2048)),
          }),
        ),
      );
      const ok = attempts.filter((a) => a.status === 'fulfilled');
      const failed = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(failed.map((f) => (f.reason as RegistryError).code)).toEqual(
        Array(5).fill(RegistryErrorCode.Conflict),
      );
      const found = (await ctx.query.findVersionByName(
        owner.id,
        PackageType.Generic,
        'race',
        '2.0.0',
      ))!;
      expect(
        await ctx.db.manager.countBy(PackageVersionEntity, { packageId: found.package.id }),
      ).toBe(1);
      expect(await ctx.db.manager.countBy(PackageFileEntity, { versionId: found.version.id })).toBe(
        1,
      );
      await expectConsistentStorage();
    });

    it('an upload over the size limit fails with 413 and leaves no blob, no row, no temporary file', async () => {
      const big = Readable.from(
        (function* () {
          for (let i = 0; i < 40; i++) yield randomBytes(64 * 1024); // 2.5 MiB > 1 MiB limit
        })(),
      );
      await expect(
        ctx.ingest.ingest(big, { limit: ctx.config.sizeLimit(PackageType.Generic) }),
      ).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(
        ctx.ingest.ingest(Readable.from([]), { limit: 10, declaredSize: 11 }),
      ).rejects.toMatchObject({ status: 413 });
      await expectConsistentStorage();
    });

    it('an upload aborted midway leaves nothing behind', async () => {
      await expect(ctx.ingest.ingest(abortingStream(300_000))).rejects.toMatchObject({
        code: RegistryErrorCode.InvalidArgument,
      });
      await expectConsistentStorage();
    });

    it('deleting removes rows, and blobs only once nothing references them', async () => {
      const shared = randomBytes(500);
      const v1 = await ctx.packages.createVersionWithFile(pkg('deletable'), ver('1'), {
        name: 'a',
        blob: await stage(shared),
      });
      const v2 = await ctx.packages.createVersionWithFile(pkg('deletable'), ver('2'), {
        name: 'b',
        blob: await stage(shared),
      });
      const only = await ctx.packages.createOrAddFile(pkg('deletable'), ver('2'), {
        name: 'c',
        blob: await stage(randomBytes(77)),
      });
      await ctx.packages.deleteVersion(v1.version.id);
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: v1.file.blobId })).toBe(true); // still used by v2
      await ctx.packages.deleteFile(only.file.id);
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: only.file.blobId })).toBe(
        false,
      );
      expect(await ctx.query.findVersion(v2.package.id, '2')).not.toBeNull(); // still has file b
      await ctx.packages.deletePackage(v2.package.id);
      expect(await ctx.query.findPackage(owner.id, PackageType.Generic, 'deletable')).toBeNull();
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: v1.file.blobId })).toBe(false);
      expect(await ctx.query.getProperties(PropertyRefType.Version, [v2.version.id])).toEqual(
        new Map([[v2.version.id, {}]]),
      );
      await expect(ctx.packages.deleteVersion(v2.version.id)).rejects.toMatchObject({
        code: RegistryErrorCode.NotFound,
      });
      await expectConsistentStorage();
    });

    it('two deletes of one version at once: one deletes, the other is a 404', async () => {
      const { version } = await ctx.packages.createVersionWithFile(pkg('twice'), ver('1'), {
        name: 'a',
        blob: await stage(randomBytes(64)),
      });
      const outcomes = await Promise.allSettled([
        ctx.packages.deleteVersion(version.id),
        ctx.packages.deleteVersion(version.id),
      ]);
      expect(
        outcomes
          .map((o) => (o.status === 'fulfilled' ? 'deleted' : (o.reason as RegistryError).code))
          .sort(),
      ).toEqual(['deleted', RegistryErrorCode.NotFound].sort());
      await expectConsistentStorage();
    });

    it('deletes several files in one transaction: all or none, and the versions they empty', async () => {
      const a = await ctx.packages.createVersionWithFile(pkg('several'), ver('1'), {
        name: 'a',
        blob: await stage(randomBytes(31)),
      });
      const b = await ctx.packages.createOrAddFile(pkg('several'), ver('1'), {
        name: 'b',
        blob: await stage(randomBytes(32)),
      });
      const c = await ctx.packages.createVersionWithFile(pkg('several'), ver('2'), {
        name: 'c',
        blob: await stage(randomBytes(33)),
      });
      // One id already gone: nothing is deleted.
      await expect(
        ctx.packages.deleteFiles([a.file.id, a.file.id + 100_000]),
      ).rejects.toMatchObject({
        code: RegistryErrorCode.NotFound,
      });
      expect(await ctx.query.listFiles(a.version.id)).toHaveLength(2);
      await ctx.packages.deleteFiles([a.file.id, c.file.id]);
      expect(await ctx.query.findVersion(a.package.id, '1')).not.toBeNull(); // b is left
      expect(await ctx.query.findVersion(a.package.id, '2')).toBeNull();
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: c.file.blobId })).toBe(false);
      await ctx.packages.deleteFiles([b.file.id]);
      expect(await ctx.query.findVersion(a.package.id, '1')).toBeNull();
      await expectConsistentStorage();
    });

    it('the cleanup job removes abandoned staging objects, unreferenced blobs and empty packages', async () => {
      // A process that died after staging: the row and object exist, nothing committed.
      const abandoned = await stage(randomBytes(1000));
      await ctx.db.manager.update(
        PackageBlobUploadEntity,
        { id: abandoned.storageId },
        { updatedUnix: 1 },
      );
      const young = await stage(randomBytes(10));
      const keep = await ctx.packages.createVersionWithFile(pkg('kept'), ver('1'), {
        name: 'k',
        blob: await stage(randomBytes(64)),
      });
      const report = await ctx.cleanup.run(0);
      expect(report.abandonedUploads).toBeGreaterThanOrEqual(1);
      expect(
        await ctx.db.manager.existsBy(PackageBlobUploadEntity, { id: abandoned.storageId }),
      ).toBe(false);
      await expect(
        ctx.storage.stat(
          `blobs/${abandoned.storageId.slice(0, 2)}/${abandoned.storageId.slice(2, 4)}/${abandoned.storageId}`,
        ),
      ).rejects.toThrow(/not found/);
      // a young session with olderThan=0 is also abandoned by definition; the job never touches committed blobs
      expect(await ctx.db.manager.existsBy(PackageBlobEntity, { id: keep.file.blobId })).toBe(true);
      await ctx.ingest.discard(young);
      await expectConsistentStorage();
    });

    it('searches versions by name and property, and files by name pattern and property', async () => {
      await ctx.packages.createVersionWithFile(
        pkg('searchable-lib'),
        { ...ver('3.1'), properties: { 'generic.channel': 'stable' } },
        {
          name: 'lib-3.1.tar.gz',
          blob: await stage(randomBytes(30)),
          properties: { 'generic.os': 'linux' },
        },
      );
      await ctx.packages.createVersionWithFile(
        pkg('searchable-lib'),
        { ...ver('3.2'), properties: { 'generic.channel': 'beta' } },
        { name: 'lib-3.2.zip', blob: await stage(randomBytes(30)) },
      );
      const all = await ctx.query.searchVersions({
        ownerId: owner.id,
        type: PackageType.Generic,
        query: 'SEARCHABLE',
      });
      expect(all.total).toBe(2);
      expect(all.items.map((i) => i.version.version)).toEqual(['3.2', '3.1']);
      const stable = await ctx.query.searchVersions({
        ownerId: owner.id,
        properties: { 'generic.channel': 'stable' },
      });
      expect(stable.items.map((i) => i.version.version)).toEqual(['3.1']);
      const paged = await ctx.query.searchVersions({
        ownerId: owner.id,
        query: 'searchable',
        offset: 1,
        limit: 1,
      });
      expect(paged.items.map((i) => i.version.version)).toEqual(['3.1']);
      expect(await ctx.query.searchVersions({ ownerId: owner.id, query: '100%_' })).toEqual({
        items: [],
        total: 0,
      });
      const zips = await ctx.query.searchFiles({
        ownerId: owner.id,
        type: PackageType.Generic,
        name: '%.zip',
      });
      expect(zips.map((f) => f.file.name)).toEqual(['lib-3.2.zip']);
      const linux = await ctx.query.searchFiles({
        ownerId: owner.id,
        type: PackageType.Generic,
        properties: { 'generic.os': 'linux' },
      });
      expect(linux.map((f) => f.file.name)).toEqual(['lib-3.1.tar.gz']);
    });

    it('a publish hook writes inside the publish; when it fails, no version row and no blob remain', async () => {
      const tag = 'generic.tag.latest';
      const first = await ctx.packages.createVersionWithFile(
        pkg('hooked'),
        ver('1', { from: 'publish' }),
        { name: 'a.bin', blob: await stage(randomBytes(100)) },
        {
          inTransaction: async (tx) => {
            expect(tx.createdVersion).toBe(true);
            await tx.setProperty(PropertyRefType.Package, tx.package.id, tag, ['1']);
            await tx.setVersionMetadata({ from: 'hook' });
          },
        },
      );
      const described = (await ctx.query.loadDescriptor(first.version.id))!;
      expect(described.packageProperties).toEqual({ [tag]: ['1'] });
      expect(described.metadata).toEqual({ from: 'hook' });

      const content = randomBytes(3000);
      const blobsBefore = await allBlobIds();
      await expect(
        ctx.packages.createVersionWithFile(
          pkg('hooked'),
          ver('2'),
          { name: 'b.bin', blob: await stage(content) },
          {
            inTransaction: async (tx) => {
              await tx.setProperty(PropertyRefType.Package, tx.package.id, tag, ['2']);
              throw RegistryError.invalid('refused by the format');
            },
          },
        ),
      ).rejects.toMatchObject({ code: RegistryErrorCode.InvalidArgument });
      expect(await ctx.query.findVersion(first.package.id, '2')).toBeNull();
      expect(await ctx.query.findBlobBySha256(sha256(content))).toBeNull();
      expect(await allBlobIds()).toEqual(blobsBefore);
      expect(
        (await ctx.query.getProperties(PropertyRefType.Package, [first.package.id])).get(
          first.package.id,
        ),
      ).toEqual({ [tag]: ['1'] });
      await expectConsistentStorage();
    });

    async function allBlobIds(): Promise<number[]> {
      return (await ctx.db.manager.find(PackageBlobEntity)).map((b) => b.id);
    }
  });
}
