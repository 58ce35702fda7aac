import { randomBytes } from 'node:crypto';
import { Client as MinioClient } from 'minio';
import { createConnection } from 'mysql2/promise';
import { mysqlTestUrl, s3TestSettings, describeIf } from './test-env';

/**
 * The two deployments every end-to-end suite runs on: the embedded default (SQLite +
 * files) and production (MySQL/MariaDB + S3). Each started app gets its own fresh
 * database / data directory / bucket, removed when it closes.
 */
export interface Backend {
  name: 'sqlite+fs' | 'mysql+s3';
  available: boolean;
  missing: string;
  /** Provisions fresh state; returns REGISTRY_* variables and a disposer. */
  provision(
    dataDir: string,
  ): Promise<{ env: Record<string, string>; dispose: () => Promise<void> }>;
}

export const SQLITE_FS: Backend = {
  name: 'sqlite+fs',
  available: true,
  missing: '',
  async provision(dataDir) {
    return {
      env: { REGISTRY_DATA_DIR: dataDir, REGISTRY_STORAGE: 'fs' },
      dispose: async () => undefined,
    };
  },
};

export const MYSQL_S3: Backend = {
  name: 'mysql+s3',
  available: !!mysqlTestUrl() && !!s3TestSettings(),
  missing: 'MariaDB and the S3 test server (WHARF_TEST_MYSQL_URL, WHARF_TEST_S3_ENDPOINT)',
  async provision(dataDir) {
    const suffix = randomBytes(5).toString('hex');
    const dbUrl = await createMysqlDatabase(`wharf_t_${suffix}`);
    const bucket = `wharf-t-${suffix}`;
    const s3 = s3TestSettings()!;
    const client = minioClient();
    await client.makeBucket(bucket, s3.region);
    return {
      env: {
        REGISTRY_DATA_DIR: dataDir,
        REGISTRY_DB_URL: dbUrl.url,
        REGISTRY_STORAGE: 's3',
        REGISTRY_S3_ENDPOINT: s3.endpoint,
        REGISTRY_S3_BUCKET: bucket,
        REGISTRY_S3_ACCESS_KEY: s3.accessKey,
        REGISTRY_S3_SECRET_KEY: s3.secretKey,
        REGISTRY_S3_REGION: s3.region,
        REGISTRY_S3_PART_SIZE: '5 MiB',
      },
      dispose: async () => {
        await dbUrl.drop();
        await emptyAndRemoveBucket(client, bucket);
      },
    };
  },
};

export const BACKENDS: Backend[] = [SQLITE_FS, MYSQL_S3];

/** `describe` once per backend; a backend whose services are missing is skipped with the reason (a failure under CI=true). */
export function describeEachBackend(name: string, fn: (backend: Backend) => void): void {
  for (const backend of BACKENDS) {
    describeIf(backend.available, backend.missing, `${name} [${backend.name}]`, () => fn(backend));
  }
}

export function minioClient(): MinioClient {
  const s3 = s3TestSettings()!;
  const url = new URL(s3.endpoint);
  return new MinioClient({
    endPoint: url.hostname,
    port: Number(url.port || 80),
    useSSL: url.protocol === 'https:',
    accessKey: s3.accessKey,
    secretKey: s3.secretKey,
    region: s3.region,
    pathStyle: true,
  });
}

/** A fresh database on the test MariaDB server; `drop()` removes it. */
export async function createMysqlDatabase(
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(mysqlTestUrl()!);
  const admin = await createConnection({
    host: base.hostname,
    port: Number(base.port || 3306),
    user: decodeURIComponent(base.username),
    password: decodeURIComponent(base.password),
  });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = await createConnection({
        host: base.hostname,
        port: Number(base.port || 3306),
        user: decodeURIComponent(base.username),
        password: decodeURIComponent(base.password),
      });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}

export async function emptyAndRemoveBucket(client: MinioClient, bucket: string): Promise<void> {
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true))
    if (item.name) keys.push(item.name);
  if (keys.length) await client.removeObjects(bucket, keys);
  await client.removeBucket(bucket);
}
