import { Logger, type Provider } from '@nestjs/common';
import { AppConfig } from '../config/config';
import { BLOB_STORAGE, BlobStorage } from './blob-storage';
import { FsBlobStorage } from './fs-blob-storage';
import { S3BlobStorage } from './s3-blob-storage';
import { ValidatedBlobStorage } from './validated-blob-storage';

/** The configured driver behind the key-validating wrapper. */
export function createBlobStorage(config: AppConfig): BlobStorage {
  const s = config.storage;
  const driver =
    s.kind === 'fs'
      ? new FsBlobStorage(s.root)
      : new S3BlobStorage({
          endpoint: s.endpoint,
          bucket: s.bucket,
          accessKey: s.accessKey,
          secretKey: s.secretKey,
          region: s.region,
          partSize: s.partSize,
        });
  return new ValidatedBlobStorage(driver);
}

export const blobStorageProvider: Provider = {
  provide: BLOB_STORAGE,
  inject: [AppConfig],
  useFactory: async (config: AppConfig): Promise<BlobStorage> => {
    const storage = createBlobStorage(config);
    const driver = (storage as ValidatedBlobStorage).inner;
    if (driver instanceof S3BlobStorage) {
      // Create the bucket on first start. A failure (wrong secret, store down) must not
      // stop the process: /readyz reports it, and the server recovers when the store does.
      await driver
        .ensureBucket()
        .catch((err: Error) =>
          new Logger('storage').error(`cannot prepare the S3 bucket: ${err.message}`),
        );
    }
    return storage;
  },
};
