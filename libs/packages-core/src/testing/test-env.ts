/**
 * Where the tests find their real services. `npm test` (scripts/test.sh) starts the S3
 * test server and makes sure MariaDB runs, then exports:
 *
 *   WHARF_TEST_MYSQL_URL   mysql://root@127.0.0.1:3306/wharf_test   (a database the tests may wipe)
 *   WHARF_TEST_S3_ENDPOINT http://127.0.0.1:9000, with WHARF_TEST_S3_ACCESS_KEY,
 *                          WHARF_TEST_S3_SECRET_KEY, WHARF_TEST_S3_REGION
 *
 * A suite that needs a service that is not configured is skipped with the reason printed —
 * except in CI (CI=true), where a missing service is a failure.
 */
export interface S3TestSettings {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export function mysqlTestUrl(): string | undefined {
  return process.env.WHARF_TEST_MYSQL_URL || undefined;
}

export function s3TestSettings(): S3TestSettings | undefined {
  const endpoint = process.env.WHARF_TEST_S3_ENDPOINT;
  if (!endpoint) return undefined;
  return {
    endpoint,
    accessKey: process.env.WHARF_TEST_S3_ACCESS_KEY ?? 'wharf',
    secretKey: process.env.WHARF_TEST_S3_SECRET_KEY ?? 'wharf-secret-key',
    region: process.env.WHARF_TEST_S3_REGION ?? 'us-east-1',
  };
}

/**
 * `describe` when `available`, otherwise a skip that says why; under CI=true a missing
 * service fails the run instead of skipping.
 */
export function describeIf(
  available: boolean,
  missing: string,
  name: string,
  fn: () => void,
): void {
  if (available) {
    describe(name, fn);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${missing}`, () => {
        throw new Error(
          `${missing} is not configured, and CI=true makes that a failure (run the tests with npm test)`,
        );
      });
    });
  } else {
    // Skipped because the service is not configured here; `npm test` configures it.
    describe.skip(`${name} (skipped: ${missing} not configured; run npm test)`, fn);
  }
}
