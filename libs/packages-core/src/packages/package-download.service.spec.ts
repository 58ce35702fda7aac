import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { MYSQL_S3 } from '../testing/backends';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
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
