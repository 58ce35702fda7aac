import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { PackageType } from '../packages/package-type';
import { parseByteSize, parseDuration } from './parse-byte-size';

describe('loadConfig', () => {
  it('defaults to the embedded mode: SQLite and files under ./data, port 3000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.baseUrl).toBe('http://localhost:3000');
    expect(config.database).toEqual({ kind: 'sqlite', file: path.resolve('data/wharf.db') });
    expect(config.storage).toEqual({ kind: 'fs', root: path.resolve('data/blobs') });
    expect(config.sizeLimit(PackageType.Npm)).toBeUndefined();
    expect(config.migrateOnStart).toBe(true);
  });

  it('reads MySQL, S3, limits and durations', () => {
    const config = loadConfig({
      PORT: '8080',
      REGISTRY_BASE_URL: 'https://registry.example.com/',
      REGISTRY_DB_URL: 'mysql://wharf:pw@db:3306/wharf',
      REGISTRY_STORAGE: 's3',
      REGISTRY_S3_ENDPOINT: 'http://minio:9000',
      REGISTRY_S3_BUCKET: 'wharf-blobs',
      REGISTRY_S3_ACCESS_KEY: 'ak',
      REGISTRY_S3_SECRET_KEY: 'sk',
      REGISTRY_S3_SERVE_DIRECT: 'true',
      REGISTRY_LIMIT_SIZE_DEFAULT: '1 GiB',
      REGISTRY_LIMIT_SIZE_NPM: '100MB',
      REGISTRY_LIMIT_SIZE_CONTAINER: '-1',
      REGISTRY_CLEANUP_INTERVAL: '15m',
    });
    expect(config.baseUrl).toBe('https://registry.example.com');
    expect(config.database).toEqual({
      kind: 'mysql',
      url: 'mysql://wharf:pw@db:3306/wharf',
      poolSize: 10,
    });
    expect(config.storage).toMatchObject({
      kind: 's3',
      bucket: 'wharf-blobs',
      region: 'us-east-1',
      serveDirect: true,
      partSize: 16 * 2 ** 20,
    });
    expect(config.sizeLimit(PackageType.Npm)).toBe(100_000_000);
    expect(config.sizeLimit(PackageType.Maven)).toBe(2 ** 30);
    expect(config.sizeLimit(PackageType.Container)).toBeUndefined();
    expect(config.cleanupIntervalSeconds).toBe(900);
  });

  it('names every bad variable and what it expects, in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        REGISTRY_STORAGE: 'floppy',
        REGISTRY_DB_URL: 'postgres://x/y',
        REGISTRY_LIMIT_SIZE_NPM: 'lots',
        REGISTRY_S3_SERVE_DIRECT: 'yes please',
        REGISTRY_SECRET: 'short',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = error!.message;
    expect(text).toMatch(/PORT/);
    expect(text).toMatch(/REGISTRY_STORAGE must be fs or s3/);
    expect(text).toMatch(/REGISTRY_DB_URL must be mysql:\/\//);
    expect(text).toMatch(/REGISTRY_LIMIT_SIZE_NPM must be a byte size/);
    expect(text).toMatch(/REGISTRY_S3_SERVE_DIRECT must be true or false/);
    expect(text).toMatch(/REGISTRY_SECRET must be at least 32 characters/);
  });

  it('requires the S3 settings when REGISTRY_STORAGE=s3', () => {
    expect(() => loadConfig({ REGISTRY_STORAGE: 's3' })).toThrow(
      /REGISTRY_S3_ENDPOINT is required[\s\S]*REGISTRY_S3_BUCKET is required/,
    );
  });

  const S3 = {
    REGISTRY_STORAGE: 's3',
    REGISTRY_S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com',
    REGISTRY_S3_BUCKET: 'wharf-blobs',
  };

  it('takes S3 without keys: the credentials then come from the environment (IAM role)', () => {
    const config = loadConfig(S3);
    expect(config.storage).toMatchObject({ kind: 's3', bucket: 'wharf-blobs' });
    expect(config.storage).not.toHaveProperty('accessKey', expect.anything());
    expect(config.storage).not.toHaveProperty('secretKey', expect.anything());
  });

  it('refuses one S3 key without the other', () => {
    expect(() => loadConfig({ ...S3, REGISTRY_S3_ACCESS_KEY: 'ak' })).toThrow(
      /REGISTRY_S3_ACCESS_KEY and REGISTRY_S3_SECRET_KEY go together/,
    );
  });

  it('reads REGISTRY_FS_ACCEL_REDIRECT: an internal prefix starting and ending with /, for fs storage only', () => {
    expect(loadConfig({ REGISTRY_FS_ACCEL_REDIRECT: '/_wharf_blobs/' }).storage).toEqual({
      kind: 'fs',
      root: path.resolve('data/blobs'),
      accelRedirect: '/_wharf_blobs/',
    });
    expect(loadConfig({ REGISTRY_FS_ACCEL_REDIRECT: '/internal/blobs/' }).storage).toMatchObject({
      accelRedirect: '/internal/blobs/',
    });
    expect(loadConfig({}).storage).not.toHaveProperty('accelRedirect');
    for (const bad of [
      '/_wharf_blobs',
      '_wharf_blobs/',
      '/',
      '//',
      '/a//b/',
      '/a b/',
      'http://x/y/',
    ])
      expect(() => loadConfig({ REGISTRY_FS_ACCEL_REDIRECT: bad })).toThrow(
        /REGISTRY_FS_ACCEL_REDIRECT must be an internal URI prefix that starts and ends with \//,
      );
    expect(() => loadConfig({ ...S3, REGISTRY_FS_ACCEL_REDIRECT: '/_wharf_blobs/' })).toThrow(
      /REGISTRY_FS_ACCEL_REDIRECT needs REGISTRY_STORAGE=fs/,
    );
  });

  it('reads REGISTRY_METRICS_PORT, which must differ from PORT', () => {
    expect(loadConfig({ REGISTRY_METRICS_PORT: '9090' }).metricsPort).toBe(9090);
    expect(loadConfig({}).metricsPort).toBeUndefined();
    expect(() => loadConfig({ PORT: '9090', REGISTRY_METRICS_PORT: '9090' })).toThrow(
      /REGISTRY_METRICS_PORT must differ from PORT/,
    );
    expect(() => loadConfig({ REGISTRY_METRICS_PORT: 'nine' })).toThrow(
      /REGISTRY_METRICS_PORT must be a port number/,
    );
  });
});

describe('REGISTRY_DB_TLS', () => {
  const MYSQL = { REGISTRY_DB_URL: 'mysql://wharf@db:3306/wharf' };
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-db-tls-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is off by default', () => {
    expect(loadConfig(MYSQL).database).not.toHaveProperty('tls');
  });

  it("verifies the server with Node's root CAs, or not with skip-verify", () => {
    expect(loadConfig({ ...MYSQL, REGISTRY_DB_TLS: 'true' }).database).toMatchObject({
      tls: { verify: true },
    });
    expect(loadConfig({ ...MYSQL, REGISTRY_DB_TLS: 'skip-verify' }).database).toMatchObject({
      tls: { verify: false },
    });
  });

  it('reads the CA file, which turns TLS on', () => {
    const ca = path.join(dir, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    expect(loadConfig({ ...MYSQL, REGISTRY_DB_TLS_CA: ca }).database).toMatchObject({
      tls: { verify: true, ca: expect.stringContaining('BEGIN CERTIFICATE') },
    });
  });

  it('names a missing CA file, a bad mode, and a CA with TLS off', () => {
    expect(() =>
      loadConfig({ ...MYSQL, REGISTRY_DB_TLS_CA: path.join(dir, 'missing.crt') }),
    ).toThrow(/REGISTRY_DB_TLS_CA: cannot read .*missing\.crt \(ENOENT\)/);
    expect(() => loadConfig({ ...MYSQL, REGISTRY_DB_TLS: 'yes' })).toThrow(
      /REGISTRY_DB_TLS must be true, false or skip-verify/,
    );
    expect(() =>
      loadConfig({ ...MYSQL, REGISTRY_DB_TLS: 'false', REGISTRY_DB_TLS_CA: path.join(dir, 'x') }),
    ).toThrow(/REGISTRY_DB_TLS_CA needs REGISTRY_DB_TLS=true/);
  });
});

describe('parseByteSize / parseDuration', () => {
  it.each([
    ['1048576', 1048576],
    ['512 MiB', 512 * 2 ** 20],
    ['2GB', 2e9],
    ['1.5 KiB', 1536],
    ['-1', undefined],
    ['lots', null],
    ['5 XB', null],
  ])('%s → %s', (text, expected) => expect(parseByteSize(text)).toBe(expected));
  it.each([
    ['90', 90],
    ['30s', 30],
    ['15m', 900],
    ['24h', 86400],
    ['7d', 604800],
    ['soon', null],
  ])('%s → %s', (text, expected) => expect(parseDuration(text)).toBe(expected));
});

describe('REGISTRY_DB_PASSWORD', () => {
  it('goes into the MySQL URL percent-encoded, whatever characters it has', () => {
    const config = loadConfig({
      REGISTRY_DB_URL: 'mysql://wharf@db:3306/wharf',
      REGISTRY_DB_PASSWORD: 'p@ss:w/rd%',
    });
    expect(config.database).toMatchObject({ kind: 'mysql' });
    const url = new URL((config.database as { url: string }).url);
    expect(decodeURIComponent(url.password)).toBe('p@ss:w/rd%');
    expect(url.username).toBe('wharf');
  });
});
