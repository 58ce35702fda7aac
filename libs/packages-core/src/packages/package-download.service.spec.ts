import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MYSQL_S3, SQLITE_FS } from '../testing/backends';
import { blobKey } from '../storage/blob-keys';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
import { PackageBlobEntity } from '../entities';
import { openedBytes } from '../testing/opened-bytes';
import { SMALL_BLOB } from './package-download.service';
import { PackageType } from './package-type';

describeIf(MYSQL_S3.available, MYSQL_S3.missing, 'downloads with REGISTRY_S3_SERVE_DIRECT', () => {
  let ctx: CoreTestContext;
  beforeAll(async () => {
    ctx = await createCoreTestContext(MYSQL_S3, { REGISTRY_S3_SERVE_DIRECT: 'true' });
  });
  afterAll(async () => ctx?.close());

  it('redirects to a presigned URL that serves the bytes with the file name, and still counts the download', async () => {
    const owner = await ctx.makeOwner();
    const content = randomBytes(4096);
    const staged = await ctx.ingest.ingest(Readable.from([content]));
    const { file, version } = await ctx.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Generic, name: 'direct' },
      { version: '1', creatorId: owner.id },
      { name: 'tool v1.bin', blob: staged, isLead: true },
    );
    const blob = (await ctx.query.getBlob(file.blobId))!;
    const opened = await ctx.downloads.openFile(file, blob, { countDownload: true });
    expect(opened.kind).toBe('redirect');
    if (opened.kind !== 'redirect') return;
    const res = await fetch(opened.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(content);
    expect(res.headers.get('content-disposition')).toContain('tool v1.bin');
    expect((await ctx.query.findVersion(version.packageId, '1'))!.downloadCount).toBe(1);
    // HEAD needs no body: it is answered by Wharf itself, not redirected
    expect((await ctx.downloads.openBlob(blob, { headOnly: true })).kind).toBe('stream');
  });
});

describe('downloads with REGISTRY_FS_ACCEL_REDIRECT', () => {
  let ctx: CoreTestContext;
  beforeAll(async () => {
    ctx = await createCoreTestContext(SQLITE_FS, { REGISTRY_FS_ACCEL_REDIRECT: '/_wharf_blobs/' });
  });
  afterAll(async () => ctx?.close());

  it('names the internal path of the stored file (small or ranged alike), counts the download, and still answers HEAD and neverRedirect itself', async () => {
    const owner = await ctx.makeOwner();
    const content = randomBytes(1000);
    const staged = await ctx.ingest.ingest(Readable.from([content]));
    const { file, version } = await ctx.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Generic, name: 'accel' },
      { version: '1', creatorId: owner.id },
      { name: 'tool.bin', blob: staged, isLead: true },
    );
    const blob = (await ctx.query.getBlob(file.blobId))!;
    const opened = await ctx.downloads.openFile(file, blob, {
      countDownload: true,
      range: { start: 10, end: 19 },
    });
    expect(opened).toEqual({
      kind: 'accel',
      path: `/_wharf_blobs/${blobKey(blob.storageId)}`,
      blob,
    });
    expect((await ctx.query.findVersion(version.packageId, '1'))!.downloadCount).toBe(1);
    expect((await ctx.downloads.openBlob(blob, { headOnly: true })).kind).toBe('stream');
    const kept = await ctx.downloads.openBlob(blob, { neverRedirect: true });
    expect(await openedBytes(kept)).toEqual(content);
  });
});

describe('downloads from the filesystem', () => {
  let ctx: CoreTestContext;
  beforeAll(async () => {
    ctx = await createCoreTestContext(SQLITE_FS);
  });
  afterAll(async () => ctx?.close());

  async function stored(size: number) {
    const owner = await ctx.makeOwner();
    const content = randomBytes(size);
    const staged = await ctx.ingest.ingest(Readable.from([content]));
    const { file } = await ctx.packages.createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Generic, name: `cached-${size}` },
      { version: '1', creatorId: owner.id },
      { name: 'tool.bin', blob: staged, isLead: true },
    );
    return { content, blob: (await ctx.query.getBlob(file.blobId))! };
  }
  const read = async (blob: PackageBlobEntity, range?: { start: number; end: number }) =>
    openedBytes(await ctx.downloads.openBlob(blob, { range }));

  it('keeps a blob up to SMALL_BLOB in memory once read (ranges too), and reads a larger one from storage each time', async () => {
    const small = await stored(SMALL_BLOB);
    const large = await stored(SMALL_BLOB + 1);
    expect((await ctx.downloads.openBlob(small.blob)).kind).toBe('bytes');
    expect((await ctx.downloads.openBlob(large.blob)).kind).toBe('stream');
    expect(await read(small.blob)).toEqual(small.content);
    expect(await read(large.blob)).toEqual(large.content);
    // Blobs never change: with the stored objects gone, only the one in memory still reads.
    await ctx.storage.delete(blobKey(small.blob.storageId));
    await ctx.storage.delete(blobKey(large.blob.storageId));
    expect(await read(small.blob)).toEqual(small.content);
    expect(await read(small.blob, { start: 5, end: 9 })).toEqual(small.content.subarray(5, 10));
    await expect(read(large.blob)).rejects.toThrow();
  });
});
