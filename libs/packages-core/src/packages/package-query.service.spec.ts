import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PropertyRefType, UserEntity } from '../entities';
import { BACKENDS } from '../testing/backends';
import { countQueries } from '../testing/count-queries';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
import { IN_LIST_CHUNK, metadataOf } from './package-query.service';
import { PackageType } from './package-type';

interface DemoMetadata {
  description: string;
}

for (const backend of BACKENDS) {
  describeIf(backend.available, backend.missing, `the batched read model [${backend.name}]`, () => {
    let ctx: CoreTestContext;
    let owner: UserEntity;
    let versionIds: number[];

    /** `count` versions of one package; each has a file with a property, and a version property. */
    async function publishVersions(name: string, count: number): Promise<number[]> {
      const staged = await ctx.ingest.ingest(Readable.from([randomBytes(64)]));
      const ids: number[] = [];
      let blobId: number | undefined;
      for (let i = 0; i < count; i++) {
        const result = await ctx.packages.createVersionWithFile(
          {
            ownerId: owner.id,
            type: PackageType.Generic,
            name,
            properties: { 'demo.kind': 'tool' },
          },
          {
            version: `1.0.${i}`,
            creatorId: owner.id,
            metadata: { description: `v${i}` } satisfies DemoMetadata,
            properties: { 'demo.channel': i % 2 ? 'odd' : 'even' },
          },
          {
            name: `file-${i}.bin`,
            // one blob shared by every file: the test is about queries, not storage
            blob: blobId === undefined ? staged : { blobId },
            isLead: true,
            properties: { 'demo.arch': `arch${i}` },
          },
        );
        blobId = result.file.blobId;
        ids.push(result.version.id);
      }
      return ids;
    }

    beforeAll(async () => {
      ctx = await createCoreTestContext(backend);
      owner = await ctx.makeOwner();
      versionIds = await publishVersions('many', 200);
      await publishVersions('few', 2);
    }, 120_000);
    afterAll(async () => ctx?.close());

    it('loads the descriptors of 200 versions in as many queries as those of 2', async () => {
      const few = await countQueries(ctx.db.dataSource, () =>
        ctx.query.loadDescriptors<DemoMetadata>(versionIds.slice(0, 2)),
      );
      const many = await countQueries(ctx.db.dataSource, () =>
        ctx.query.loadDescriptors<DemoMetadata>(versionIds),
      );
      expect(few.result).toHaveLength(2);
      expect(many.result).toHaveLength(200);
      expect(many.queries.length).toBe(few.queries.length);
      // versions, packages, files, blobs, and the properties of packages, versions and files
      expect(many.queries.length).toBe(7);
    });

    it('by filter too: a whole package, or an owner’s type, in a fixed number of queries', async () => {
      const pkg = (await ctx.query.findPackage(owner.id, PackageType.Generic, 'many'))!;
      const onePackage = await countQueries(ctx.db.dataSource, () =>
        ctx.query.loadDescriptors({
          ownerId: owner.id,
          type: PackageType.Generic,
          packageId: pkg.id,
        }),
      );
      expect(onePackage.result.map((d) => d.version.id)).toEqual(versionIds);
      expect(onePackage.queries.length).toBe(7);
      const everything = await ctx.query.loadDescriptors({
        ownerId: owner.id,
        type: PackageType.Generic,
      });
      expect(everything).toHaveLength(202);
      expect(
        await ctx.query.loadDescriptors({ ownerId: owner.id, type: PackageType.Helm }),
      ).toEqual([]);
    });

    it('describes each version completely: package, typed metadata, properties, files and blobs', async () => {
      const [d] = await ctx.query.loadDescriptors<DemoMetadata>([versionIds[7]]);
      expect(d.package.name).toBe('many');
      expect(d.version.version).toBe('1.0.7');
      expect(d.metadata?.description).toBe('v7');
      expect(metadataOf<DemoMetadata>(d)?.description).toBe('v7');
      expect(d.packageProperties).toEqual({ 'demo.kind': ['tool'] });
      expect(d.versionProperties).toEqual({ 'demo.channel': ['odd'] });
      expect(d.files).toHaveLength(1);
      expect(d.files[0].file.name).toBe('file-7.bin');
      expect(d.files[0].properties).toEqual({ 'demo.arch': ['arch7'] });
      expect(d.files[0].blob.id).toBe(d.files[0].file.blobId);
      expect(await ctx.query.loadDescriptor(versionIds[7])).toEqual(d);
    });

    it('keeps the order of the ids asked for, skips missing ones, and chunks long id lists', async () => {
      const reversed = [...versionIds].reverse();
      const missing = Array.from({ length: 2 * IN_LIST_CHUNK }, (_, i) => 10_000_000 + i);
      const { result, queries } = await countQueries(ctx.db.dataSource, () =>
        ctx.query.loadDescriptors([...missing.slice(0, 3), ...reversed, ...missing]),
      );
      expect(result.map((d) => d.version.id)).toEqual(reversed);
      // 1203 distinct ids are three chunks of versions; everything else fits in one chunk
      expect(queries.length).toBe(7 + 2);
      expect(await ctx.query.loadDescriptor(missing[0])).toBeNull();
      expect(await ctx.query.loadDescriptors([])).toEqual([]);
    });

    it('finds a file with its blob, and builds base URLs', async () => {
      const found = await ctx.query.findFileWithBlob(versionIds[3], 'FILE-3.bin');
      expect(found?.file.name).toBe('file-3.bin');
      expect(found?.blob.id).toBe(found?.file.blobId);
      expect(await ctx.query.findFileWithBlob(versionIds[3], 'file-4.bin')).toBeNull();
      expect(ctx.query.packageBaseUrl({ name: 'a b' }, PackageType.Npm)).toBe(
        `${ctx.config.baseUrl}/api/packages/a%20b/npm`,
      );
      expect(
        await ctx.query.getProperties(PropertyRefType.Version, [versionIds[0], versionIds[1]]),
      ).toEqual(
        new Map([
          [versionIds[0], { 'demo.channel': ['even'] }],
          [versionIds[1], { 'demo.channel': ['odd'] }],
        ]),
      );
    });
  });
}
