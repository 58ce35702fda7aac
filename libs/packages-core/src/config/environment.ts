import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { Type } from 'class-transformer';

const SIZE = /^(-1|\d+(\.\d+)?\s*([kmgt]i?b|b)?)$/i;
const DURATION = /^\d+\s*[smhd]?$/;
export const SIZE_HINT = 'a byte size such as 104857600, 512 MiB or 2GB, or -1 for unlimited';
const DURATION_HINT = 'a duration such as 90, 30s, 15m, 24h or 7d';

/**
 * Every environment variable Wharf reads, validated once at start-up. Nothing else in
 * the code reads `process.env`. The README's configuration table mirrors this class.
 * Per-format size limits (`REGISTRY_LIMIT_SIZE_<TYPE>`) are read from the same env in
 * `config.ts`, since their names come from the package type list.
 */
export class EnvironmentVariables {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    {
      message:
        'REGISTRY_BASE_URL must be an absolute http(s) URL such as https://registry.example.com',
    },
  )
  REGISTRY_BASE_URL?: string;

  /**
   * A second listener for /metrics and /readyz, so they stay off the public port (and
   * off an ingress routing to it); unset, the main port serves them.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'REGISTRY_METRICS_PORT must be a port number' })
  @Min(1)
  @Max(65535)
  REGISTRY_METRICS_PORT?: number;

  @IsOptional()
  @IsString()
  REGISTRY_DATA_DIR?: string;

  @IsOptional()
  @Matches(/^(mysql|mariadb):\/\/[^/]+\/[A-Za-z0-9_$-]+(\?.*)?$|^sqlite:.+$/, {
    message: 'REGISTRY_DB_URL must be mysql://user:password@host:port/database or sqlite:<path>',
  })
  REGISTRY_DB_URL?: string;

  /** Overrides the password of a mysql:// URL, so it may contain any character (Kubernetes Secrets). */
  @IsOptional()
  @IsString()
  REGISTRY_DB_PASSWORD?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  REGISTRY_DB_POOL_SIZE?: number;

  /** TLS to MySQL: `true` verifies the server certificate, `skip-verify` encrypts without verifying. */
  @IsOptional()
  @IsIn(['true', 'false', 'skip-verify'], {
    message: 'REGISTRY_DB_TLS must be true, false or skip-verify',
  })
  REGISTRY_DB_TLS?: string;

  /** PEM file of the CA(s) that signed the MySQL server certificate; implies REGISTRY_DB_TLS=true. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  REGISTRY_DB_TLS_CA?: string;

  @IsOptional()
  @IsBooleanString({ message: 'REGISTRY_MIGRATE_ON_START must be true or false' })
  REGISTRY_MIGRATE_ON_START?: string;

  @IsOptional()
  @IsIn(['fs', 's3'], { message: 'REGISTRY_STORAGE must be fs or s3' })
  REGISTRY_STORAGE?: string;

  @IsOptional()
  @IsUrl(
    { require_tld: false, require_protocol: true, protocols: ['http', 'https'] },
    { message: 'REGISTRY_S3_ENDPOINT must be an http(s) URL such as http://minio:9000' },
  )
  REGISTRY_S3_ENDPOINT?: string;

  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    message:
      'REGISTRY_S3_BUCKET must be a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)',
  })
  REGISTRY_S3_BUCKET?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  REGISTRY_S3_ACCESS_KEY?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  REGISTRY_S3_SECRET_KEY?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  REGISTRY_S3_REGION?: string;

  @IsOptional()
  @IsBooleanString({ message: 'REGISTRY_S3_SERVE_DIRECT must be true or false' })
  REGISTRY_S3_SERVE_DIRECT?: string;

  @IsOptional()
  @Matches(SIZE, { message: `REGISTRY_S3_PART_SIZE must be ${SIZE_HINT}` })
  REGISTRY_S3_PART_SIZE?: string;

  /**
   * With fs storage behind nginx: downloads answer with `X-Accel-Redirect: <prefix><key>`
   * and an empty body, and nginx sends the file itself (an `internal` location aliased to
   * the blob directory). Only the prefix is Wharf's to know; the path on disk is nginx's.
   */
  @IsOptional()
  @Matches(/^\/([A-Za-z0-9._~-]+\/)+$/, {
    message:
      'REGISTRY_FS_ACCEL_REDIRECT must be an internal URI prefix that starts and ends with /, such as /_wharf_blobs/',
  })
  REGISTRY_FS_ACCEL_REDIRECT?: string;

  @IsOptional()
  @Matches(SIZE, { message: `REGISTRY_LIMIT_SIZE_DEFAULT must be ${SIZE_HINT}` })
  REGISTRY_LIMIT_SIZE_DEFAULT?: string;

  @IsOptional()
  @Matches(/^(-1|\d+)$/, {
    message: 'REGISTRY_LIMIT_TOTAL_OWNER_COUNT must be a number of versions, or -1 for unlimited',
  })
  REGISTRY_LIMIT_TOTAL_OWNER_COUNT?: string;

  @IsOptional()
  @Matches(SIZE, { message: `REGISTRY_LIMIT_TOTAL_OWNER_SIZE must be ${SIZE_HINT}` })
  REGISTRY_LIMIT_TOTAL_OWNER_SIZE?: string;

  @IsOptional()
  @Matches(/^\s*[^,\s]+(\s*,\s*[^,\s]+)*\s*$/, {
    message: 'REGISTRY_QUOTA_DEFAULT_GROUPS must be a comma-separated list of quota group names',
  })
  REGISTRY_QUOTA_DEFAULT_GROUPS?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'REGISTRY_SECRET must be at least 32 characters' })
  REGISTRY_SECRET?: string;

  @IsOptional()
  @IsIn(['debug', 'info', 'warn', 'error', 'silent'], {
    message: 'REGISTRY_LOG_LEVEL must be debug, info, warn, error or silent',
  })
  REGISTRY_LOG_LEVEL?: string;

  /** Which proxies may set X-Forwarded-For (client address for rate limits and logs); express syntax. */
  @IsOptional()
  @Matches(/^(true|false|\d+|[\w.:/, -]+)$/, {
    message:
      'REGISTRY_TRUST_PROXY must be true, false, a hop count, or addresses/subnets/names (loopback, uniquelocal…)',
  })
  REGISTRY_TRUST_PROXY?: string;

  @IsOptional()
  @IsBooleanString({ message: 'REGISTRY_REQUIRE_SIGNIN must be true or false' })
  REGISTRY_REQUIRE_SIGNIN?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$/, {
    message: 'REGISTRY_ADMIN_USERNAME must be 1-39 letters, digits, _ . -',
  })
  REGISTRY_ADMIN_USERNAME?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'REGISTRY_ADMIN_PASSWORD must be at least 8 characters' })
  REGISTRY_ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsString()
  REGISTRY_ADMIN_EMAIL?: string;

  @IsOptional()
  @Matches(DURATION, { message: `REGISTRY_CLEANUP_INTERVAL must be ${DURATION_HINT}` })
  REGISTRY_CLEANUP_INTERVAL?: string;

  @IsOptional()
  @Matches(DURATION, { message: `REGISTRY_CLEANUP_OLDER_THAN must be ${DURATION_HINT}` })
  REGISTRY_CLEANUP_OLDER_THAN?: string;

  @IsOptional()
  @Matches(DURATION, { message: `REGISTRY_UPLOAD_SESSION_TTL must be ${DURATION_HINT}` })
  REGISTRY_UPLOAD_SESSION_TTL?: string;

  @IsOptional()
  @Matches(DURATION, { message: `REGISTRY_CLEANUP_LEASE must be ${DURATION_HINT}` })
  REGISTRY_CLEANUP_LEASE?: string;

  @IsOptional()
  @Matches(DURATION, { message: `REGISTRY_SHUTDOWN_TIMEOUT must be ${DURATION_HINT}` })
  REGISTRY_SHUTDOWN_TIMEOUT?: string;
}
