import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { s3TestSettings, describeIf } from '../testing/test-env';
import { StorageUnavailableError } from './blob-storage';
import { describeBlobStorageContract } from './blob-storage.contract';
import { S3BlobStorage, S3StorageOptions } from './s3-blob-storage';

const settings = s3TestSettings();
const MiB = 1024 * 1024;

describeIf(!!settings, 'an S3 server (WHARF_TEST_S3_ENDPOINT)', 'S3BlobStorage', () => {
  // Jest runs this body to collect tests even when describeIf skips it: build nothing
  // from `settings` until a hook or test runs.
  let options: S3StorageOptions;
  let admin: Client;

  beforeAll(async () => {
    // a fresh bucket per run, removed at the end (which fails if an object remains)
    options = {
      ...settings!,
      bucket: `wharf-contract-${randomBytes(4).toString('hex')}`,
      partSize: 5 * MiB, // S3's minimum, so the contract's large puts span several parts
    };
    admin = adminClient(options);
    await new S3BlobStorage(options).ensureBucket();
  });
  afterAll(() => admin?.removeBucket(options.bucket));

  describeBlobStorageContract(
    's3',
    async () => ({
      storage: new S3BlobStorage(options),
      debris: async () =>
        (await admin.listIncompleteUploads(options.bucket, '', true).toArray()).map((u) => u.key),
    }),
    { presignedUrls: true },
  );

  it('sends a body longer than a part as a multipart upload', async () => {
    const storage = new S3BlobStorage(options);
    const key = `test-${randomBytes(4).toString('hex')}/parts`;
    await storage.put(key, Readable.from([randomBytes(11 * MiB)]));
    expect((await admin.statObject(options.bucket, key)).etag).toMatch(/-3$/); // 5 + 5 + 1 MiB
    await storage.delete(key);
  });

  it.each<[string, Partial<S3StorageOptions>, RegExp]>([
    ['a wrong secret key', { secretKey: 'wrong-secret' }, /credentials refused/],
    ['a missing bucket', { bucket: 'wharf-no-such-bucket' }, /bucket does not exist/],
    ['an unreachable endpoint', { endpoint: 'http://127.0.0.1:1' }, /unreachable \(ECONNREFUSED/],
  ])('ping rejects %s with StorageUnavailableError', async (_label, change, message) => {
    const err = await new S3BlobStorage({ ...options, ...change }).ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(change.endpoint ?? options.endpoint);
  });
});

/** A plain client for what the driver does not offer: bucket removal, upload listing, ETags. */
function adminClient(options: S3StorageOptions): Client {
  const url = new URL(options.endpoint);
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    useSSL: url.protocol === 'https:',
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    region: options.region,
    pathStyle: true,
  });
}
