import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DocumentGenerationEntity, PropertyRefType, UserEntity } from '../entities';
import { RegistryError } from '../errors/registry-error';
import { documentEtag, GeneratedDocument } from '../http/serve-document';
import { PackageType } from '../packages/package-type';
import { BACKENDS } from '../testing/backends';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
import { DocumentCache, DocumentKey } from './document-cache';
import { OWNER_WIDE_SCOPE } from './document-generations';
import { DOCUMENT_SHARDS, documentShardOf } from './document-shards';

for (const backend of BACKENDS) {
  describeIf(backend.available, backend.missing, `the document cache [${backend.name}]`, () => {
    let ctx: CoreTestContext;
    let owner: UserEntity;
    let cache: DocumentCache;

    beforeAll(async () => {
      ctx = await createCoreTestContext(backend);
      owner = await ctx.makeOwner();
      cache = ctx.module.get(DocumentCache);
    });
    afterAll(async () => ctx?.close());

    const key = (scope: string, variant?: string): DocumentKey => ({
      ownerId: owner.id,
      type: PackageType.Generic,
      scope,
      variant,
    });

    /** A builder that counts its calls and lists the package's versions. */
    function counted(name: string) {
      const builder = {
        builds: 0,
        build: async (): Promise<GeneratedDocument> => {
          builder.builds++;
          const pkg = await ctx.query.findPackage(owner.id, PackageType.Generic, name);
          const versions = pkg ? await ctx.query.listVersions(pkg.id) : [];
          return { body: versions.map((v) => v.version).join(','), contentType: 'text/plain' };
        },
      };
      return builder;
    }

    const publish = async (name: string, version: string) => {
      const staged = await ctx.ingest.ingest(Readable.from([randomBytes(32)]));
      return ctx.packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Generic, name },
        { version, creatorId: owner.id },
        { name: `${version}.bin`, blob: staged },
      );
    };

    const generation = async (scope: string) =>
      (
        await ctx.db.manager.findOneBy(DocumentGenerationEntity, {
          ownerId: owner.id,
          type: PackageType.Generic,
          scope,
        })
      )?.generation ?? 0;

    it('builds once per generation, with a sha256 ETag, until a write to the package', async () => {
      await publish('alpha', '1');
      const b = counted('alpha');
      const first = await cache.get(key('alpha'), b.build);
      const second = await cache.get(key('alpha'), b.build);
      expect(b.builds).toBe(1);
      expect(second).toBe(first);
      expect(first.body).toBe('1');
      expect(first.etag).toBe(documentEtag('1'));
      await publish('alpha', '2');
      const third = await cache.get(key('alpha'), b.build);
      expect(b.builds).toBe(2);
      expect(third.body).toBe('1,2');
      expect(third.etag).not.toBe(first.etag);
    });

    it('a write bumps its package scope and the owner-wide scope, not other packages', async () => {
      await publish('beta', '1');
      await publish('gamma', '1');
      const [beta, gamma, all] = [counted('beta'), counted('gamma'), counted('beta')];
      for (let i = 0; i < 2; i++) {
        await cache.get(key('beta'), beta.build);
        await cache.get(key('gamma'), gamma.build);
        await cache.get(key(OWNER_WIDE_SCOPE), all.build);
      }
      expect([beta.builds, gamma.builds, all.builds]).toEqual([1, 1, 1]);
      await publish('gamma', '2');
      await cache.get(key('beta'), beta.build);
      await cache.get(key('gamma'), gamma.build);
      await cache.get(key(OWNER_WIDE_SCOPE), all.build);
      expect([beta.builds, gamma.builds, all.builds]).toEqual([1, 2, 2]);
    });

    it('every kind of write bumps the generation, inside its transaction', async () => {
      const published = await publish('delta', '1');
      const ver3 = { version: '3', creatorId: owner.id };
      const bumps: Array<[string, () => Promise<unknown>]> = [
        ['publish', () => publish('delta', '2')],
        [
          'setProperty',
          () => ctx.packages.setProperty(PropertyRefType.Package, published.package.id, 'x', ['y']),
        ],
        [
          'file property',
          () => ctx.packages.setProperty(PropertyRefType.File, published.file.id, 'x', ['y']),
        ],
        [
          'updateVersionMetadata',
          () => ctx.packages.updateVersionMetadata(published.version.id, { m: 1 }),
        ],
        ['deleteFile', () => ctx.packages.deleteFile(published.file.id)],
        [
          'deleteVersion',
          async () =>
            ctx.packages.deleteVersion(
              (await ctx.query.findVersion(published.package.id, '2'))!.id,
            ),
        ],
        [
          'createVersion',
          () =>
            ctx.packages.createVersion(
              { ownerId: owner.id, type: PackageType.Generic, name: 'delta' },
              ver3,
            ),
        ],
        ['deletePackage', () => ctx.packages.deletePackage(published.package.id)],
      ];
      for (const [what, write] of bumps) {
        const [scoped, wide] = [await generation('delta'), await generation(OWNER_WIDE_SCOPE)];
        await write();
        expect([what, await generation('delta')]).toEqual([what, scoped + 1]);
        expect([what, await generation(OWNER_WIDE_SCOPE)]).toEqual([what, wide + 1]);
      }
    });

    it('a publish hook bumps extra scopes; a failed write bumps nothing', async () => {
      const staged = await ctx.ingest.ingest(Readable.from([randomBytes(32)]));
      await ctx.packages.createVersionWithFile(
        { ownerId: owner.id, type: PackageType.Generic, name: 'epsilon' },
        { version: '1', creatorId: owner.id },
        { name: 'e.bin', blob: staged },
        { inTransaction: async (tx) => tx.bumpScope('repository:stable') },
      );
      expect(await generation('repository:stable')).toBe(1);
      const before = await generation('epsilon');
      await expect(
        ctx.packages.createVersionWithFile(
          { ownerId: owner.id, type: PackageType.Generic, name: 'epsilon' },
          { version: '1', creatorId: owner.id },
          { name: 'e.bin', blob: await ctx.ingest.ingest(Readable.from([randomBytes(32)])) },
        ),
      ).rejects.toBeInstanceOf(RegistryError);
      expect(await generation('epsilon')).toBe(before);
    });

    it("every write bumps its package's shard, read back with the others in one query", async () => {
      const published = await publish('theta', '1');
      const shard = documentShardOf(published.package.id);
      const before = await cache.shardGenerations(owner.id, PackageType.Generic);
      expect(before.generations).toHaveLength(DOCUMENT_SHARDS);
      expect(before.generations[shard]).toBeGreaterThan(0);
      expect(before.updatedUnix).toBeGreaterThan(0);
      await ctx.packages.deleteFile(published.file.id); // a delete too, as the management API's
      const after = await cache.shardGenerations(owner.id, PackageType.Generic);
      expect(after.generations.map((g, i) => g - before.generations[i])).toEqual(
        before.generations.map((_, i) => (i === shard ? 1 : 0)),
      );
      const other = await cache.shardGenerations(owner.id + 1_000_000, PackageType.Generic);
      expect(other).toEqual({ generations: new Array(DOCUMENT_SHARDS).fill(0), updatedUnix: 0 });
    });

    it('loads the descriptors of the packages in some shards only', async () => {
      const names = Array.from({ length: 12 }, (_, i) => `shard-pkg-${i}`);
      const ids = new Map<string, number>();
      for (const name of names) ids.set(name, (await publish(name, '1')).package.id);
      const shards = [documentShardOf(ids.get(names[0])!), documentShardOf(ids.get(names[5])!)];
      const loaded = await ctx.query.loadDescriptors({
        ownerId: owner.id,
        type: PackageType.Generic,
        shards,
      });
      const got = loaded.map((d) => d.package.lowerName);
      expect(got).toEqual(expect.arrayContaining([names[0], names[5]]));
      expect(loaded.every((d) => shards.includes(documentShardOf(d.package.id)))).toBe(true);
      const expected = names.filter((n) => shards.includes(documentShardOf(ids.get(n)!)));
      expect([...new Set(got)].filter((n) => n.startsWith('shard-pkg-')).sort()).toEqual(
        expected.sort(),
      );
      expect(loaded.every((d) => d.files.length > 0)).toBe(true);
    });

    it('two caches on one database (two replicas) both serve a write at their next read', async () => {
      const replica = new DocumentCache(ctx.db);
      await publish('zeta', '1');
      const [a, b] = [counted('zeta'), counted('zeta')];
      expect((await cache.get(key('zeta'), a.build)).body).toBe('1');
      expect((await replica.get(key('zeta'), b.build)).body).toBe('1');
      await publish('zeta', '2'); // through this process's services, seen by the other cache
      expect((await replica.get(key('zeta'), b.build)).body).toBe('1,2');
      expect((await cache.get(key('zeta'), a.build)).body).toBe('1,2');
    });

    it('keeps variants apart, shares one build between concurrent requests, and caches no failure', async () => {
      await publish('eta', '1');
      const b = counted('eta');
      const html = async () => ({ ...(await b.build()), contentType: 'text/html' });
      const [x, y] = await Promise.all([
        cache.get(key('eta', 'json'), b.build),
        cache.get(key('eta', 'json'), b.build),
      ]);
      expect(x).toBe(y);
      expect(b.builds).toBe(1);
      expect((await cache.get(key('eta', 'html'), html)).contentType).toBe('text/html');
      expect(b.builds).toBe(2);
      let attempts = 0;
      const failing = async (): Promise<GeneratedDocument> => {
        attempts++;
        throw RegistryError.notFound('no such package');
      };
      await expect(cache.get(key('missing'), failing)).rejects.toBeInstanceOf(RegistryError);
      await expect(cache.get(key('missing'), failing)).rejects.toBeInstanceOf(RegistryError);
      expect(attempts).toBe(2);
    });
  });
}
