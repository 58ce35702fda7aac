import { readFileSync } from 'node:fs';
import path from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnvironmentVariables, SIZE_HINT } from './environment';
import { parseByteSize, parseDuration } from './parse-byte-size';
import { PACKAGE_TYPES, PackageType } from '../packages/package-type';

/** TLS to MySQL: `ca` is the PEM text of REGISTRY_DB_TLS_CA (none: Node's root CAs). */
export interface DatabaseTls {
  verify: boolean;
  ca?: string;
}

export type DatabaseSettings =
  | { kind: 'sqlite'; file: string }
  | { kind: 'mysql'; url: string; poolSize: number; tls?: DatabaseTls };

export type StorageSettings =
  | {
      kind: 'fs';
      root: string;
      /** REGISTRY_FS_ACCEL_REDIRECT: downloads are sent by the fronting nginx from `<prefix><key>`. */
      accelRedirect?: string;
    }
  | {
      kind: 's3';
      endpoint: string;
      bucket: string;
      /** Both absent: credentials from the environment (IAM role for the service account, ECS, EC2). */
      accessKey?: string;
      secretKey?: string;
      region: string;
      serveDirect: boolean;
      partSize: number;
    };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The typed, defaulted configuration; the only view of the environment. */
export class AppConfig {
  readonly port: number;
  /** Port of the separate /metrics and /readyz listener; undefined: the main port serves them. */
  readonly metricsPort?: number;
  /** Public URL without a trailing slash, used in links and auth challenges. */
  readonly baseUrl: string;
  readonly dataDir: string;
  readonly database: DatabaseSettings;
  readonly migrateOnStart: boolean;
  readonly storage: StorageSettings;
  /** Per-format upload limit in bytes; a missing entry means unlimited. */
  readonly sizeLimits: ReadonlyMap<PackageType, number>;
  /** Forgejo's LIMIT_TOTAL_OWNER_COUNT / _SIZE: versions and bytes per owner; undefined = unlimited. */
  readonly ownerLimits: { count?: number; size?: number };
  /** Quota groups of owners mapped to none (Forgejo's `[quota] DEFAULT_GROUPS`). */
  readonly quotaDefaultGroups: readonly string[];
  /** REGISTRY_SECRET when set; otherwise a secret generated once and kept in the database. */
  readonly secret?: string;
  readonly logLevel: LogLevel;
  readonly requireSignin: boolean;
  /** express `trust proxy` setting: true/false, a hop count, or a list of addresses and subnets. */
  readonly trustProxy: boolean | number | string;
  readonly admin?: { username: string; password: string; email: string };
  readonly cleanupIntervalSeconds: number;
  readonly cleanupOlderThanSeconds: number;
  readonly uploadSessionTtlSeconds: number;
  /** How long a replica holds the cleanup lease without renewing it (a dead holder's run is taken over after this). */
  readonly cleanupLeaseSeconds: number;
  readonly shutdownTimeoutSeconds: number;

  constructor(values: Omit<AppConfig, 'sizeLimit'>) {
    Object.assign(this, values);
  }

  /** The upload limit for a format, `undefined` when unlimited. */
  sizeLimit(type: PackageType): number | undefined {
    return this.sizeLimits.get(type);
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const bool = (v: string | undefined, dflt: boolean) =>
  v === undefined ? dflt : v === 'true' || v === '1';

/**
 * Validates the environment and builds the configuration. Every bad variable is named
 * in one {@link ConfigError}, so an operator fixes them all in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw = Object.fromEntries(
    Object.entries(env).filter(([k]) => k === 'PORT' || k.startsWith('REGISTRY_')),
  );
  const vars = plainToInstance(EnvironmentVariables, raw);
  const problems = validateSync(vars).flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) =>
      m.startsWith(e.property) ? m : `${e.property}: ${m}`,
    ),
  );

  const sizeLimits = new Map<PackageType, number>();
  const defaultLimit = vars.REGISTRY_LIMIT_SIZE_DEFAULT
    ? parseByteSize(vars.REGISTRY_LIMIT_SIZE_DEFAULT)
    : undefined;
  for (const type of PACKAGE_TYPES) {
    const name = `REGISTRY_LIMIT_SIZE_${type.toUpperCase()}`;
    const text = env[name];
    const limit = text === undefined ? defaultLimit : parseByteSize(text);
    if (limit === null) problems.push(`${name} must be ${SIZE_HINT}`);
    else if (limit !== undefined) sizeLimits.set(type, limit);
  }

  const ownerSize = vars.REGISTRY_LIMIT_TOTAL_OWNER_SIZE
    ? parseByteSize(vars.REGISTRY_LIMIT_TOTAL_OWNER_SIZE)
    : undefined;
  const ownerCount = vars.REGISTRY_LIMIT_TOTAL_OWNER_COUNT
    ? Number(vars.REGISTRY_LIMIT_TOTAL_OWNER_COUNT)
    : -1;
  if (ownerSize === null) problems.push(`REGISTRY_LIMIT_TOTAL_OWNER_SIZE must be ${SIZE_HINT}`);

  const dataDir = path.resolve(vars.REGISTRY_DATA_DIR ?? './data');
  const port = vars.PORT ?? 3000;
  const storageKind = vars.REGISTRY_STORAGE ?? 'fs';
  if (storageKind === 's3') {
    for (const name of ['REGISTRY_S3_ENDPOINT', 'REGISTRY_S3_BUCKET'] as const) {
      if (!vars[name]) problems.push(`${name} is required when REGISTRY_STORAGE=s3`);
    }
    // No keys at all means an IAM role; one key without the other is a mistake.
    if (!vars.REGISTRY_S3_ACCESS_KEY !== !vars.REGISTRY_S3_SECRET_KEY)
      problems.push(
        'REGISTRY_S3_ACCESS_KEY and REGISTRY_S3_SECRET_KEY go together (set neither to use an IAM role)',
      );
  }
  if (vars.REGISTRY_FS_ACCEL_REDIRECT && storageKind !== 'fs')
    problems.push(
      'REGISTRY_FS_ACCEL_REDIRECT needs REGISTRY_STORAGE=fs (with s3, REGISTRY_S3_SERVE_DIRECT=true sends downloads to the bucket)',
    );
  if (vars.REGISTRY_METRICS_PORT !== undefined && vars.REGISTRY_METRICS_PORT === port)
    problems.push('REGISTRY_METRICS_PORT must differ from PORT');
  const dbTls = readDatabaseTls(vars, problems);
  const adminUser = vars.REGISTRY_ADMIN_USERNAME;
  if (adminUser && !vars.REGISTRY_ADMIN_PASSWORD)
    problems.push('REGISTRY_ADMIN_PASSWORD is required when REGISTRY_ADMIN_USERNAME is set');
  if (problems.length) throw new ConfigError(problems);

  const dbUrl = vars.REGISTRY_DB_URL;
  const database: DatabaseSettings =
    dbUrl && !dbUrl.startsWith('sqlite:')
      ? {
          kind: 'mysql',
          url: withPassword(dbUrl.replace(/^mariadb:/, 'mysql:'), vars.REGISTRY_DB_PASSWORD),
          poolSize: vars.REGISTRY_DB_POOL_SIZE ?? 10,
          ...(dbTls && { tls: dbTls }),
        }
      : {
          kind: 'sqlite',
          file: dbUrl
            ? path.resolve(dbUrl.replace(/^sqlite:(\/\/)?/, ''))
            : path.join(dataDir, 'wharf.db'),
        };

  const storage: StorageSettings =
    storageKind === 's3'
      ? {
          kind: 's3',
          endpoint: vars.REGISTRY_S3_ENDPOINT!,
          bucket: vars.REGISTRY_S3_BUCKET!,
          accessKey: vars.REGISTRY_S3_ACCESS_KEY,
          secretKey: vars.REGISTRY_S3_SECRET_KEY,
          region: vars.REGISTRY_S3_REGION ?? 'us-east-1',
          serveDirect: bool(vars.REGISTRY_S3_SERVE_DIRECT, false),
          partSize: parseByteSize(vars.REGISTRY_S3_PART_SIZE ?? '16 MiB') ?? 16 * 2 ** 20,
        }
      : {
          kind: 'fs',
          root: path.join(dataDir, 'blobs'),
          ...(vars.REGISTRY_FS_ACCEL_REDIRECT && {
            accelRedirect: vars.REGISTRY_FS_ACCEL_REDIRECT,
          }),
        };

  return new AppConfig({
    port,
    metricsPort: vars.REGISTRY_METRICS_PORT,
    baseUrl: (vars.REGISTRY_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    dataDir,
    database,
    migrateOnStart: bool(vars.REGISTRY_MIGRATE_ON_START, true),
    storage,
    sizeLimits,
    ownerLimits: {
      ...(ownerCount >= 0 && { count: ownerCount }),
      ...(typeof ownerSize === 'number' && { size: ownerSize }),
    },
    quotaDefaultGroups: (vars.REGISTRY_QUOTA_DEFAULT_GROUPS ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean),
    secret: vars.REGISTRY_SECRET,
    logLevel: (vars.REGISTRY_LOG_LEVEL ?? 'info') as LogLevel,
    requireSignin: bool(vars.REGISTRY_REQUIRE_SIGNIN, false),
    trustProxy: parseTrustProxy(vars.REGISTRY_TRUST_PROXY ?? 'loopback, linklocal, uniquelocal'),
    admin: adminUser
      ? {
          username: adminUser,
          password: vars.REGISTRY_ADMIN_PASSWORD!,
          email: vars.REGISTRY_ADMIN_EMAIL ?? `${adminUser}@localhost`,
        }
      : undefined,
    cleanupIntervalSeconds: parseDuration(vars.REGISTRY_CLEANUP_INTERVAL ?? '1h')!,
    cleanupOlderThanSeconds: parseDuration(vars.REGISTRY_CLEANUP_OLDER_THAN ?? '24h')!,
    uploadSessionTtlSeconds: parseDuration(vars.REGISTRY_UPLOAD_SESSION_TTL ?? '24h')!,
    cleanupLeaseSeconds: Math.max(parseDuration(vars.REGISTRY_CLEANUP_LEASE ?? '60s')!, 3),
    shutdownTimeoutSeconds: parseDuration(vars.REGISTRY_SHUTDOWN_TIMEOUT ?? '30s')!,
  });
}

/** REGISTRY_DB_TLS and its CA file; undefined when TLS is off. */
function readDatabaseTls(vars: EnvironmentVariables, problems: string[]): DatabaseTls | undefined {
  const mode = vars.REGISTRY_DB_TLS ?? (vars.REGISTRY_DB_TLS_CA ? 'true' : 'false');
  if (mode === 'false') {
    if (vars.REGISTRY_DB_TLS_CA) problems.push('REGISTRY_DB_TLS_CA needs REGISTRY_DB_TLS=true');
    return undefined;
  }
  let ca: string | undefined;
  if (vars.REGISTRY_DB_TLS_CA) {
    try {
      ca = readFileSync(vars.REGISTRY_DB_TLS_CA, 'utf8');
    } catch (err) {
      problems.push(
        `REGISTRY_DB_TLS_CA: cannot read ${vars.REGISTRY_DB_TLS_CA} (${(err as NodeJS.ErrnoException).code})`,
      );
    }
  }
  return { verify: mode === 'true', ...(ca !== undefined && { ca }) };
}

/** Puts a separately configured password into a mysql:// URL, percent-encoded. */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function parseTrustProxy(text: string): boolean | number | string {
  if (text === 'true' || text === 'false') return text === 'true';
  return /^\d+$/.test(text) ? Number(text) : text;
}
