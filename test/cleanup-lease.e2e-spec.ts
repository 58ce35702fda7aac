import { createConnection } from 'mysql2/promise';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { MYSQL_S3 } from './support/backends';
import { call, useReplicas } from './support/cleanup-replicas';
import { serverBuilt, ServerProcess } from './support/server-process';

/**
 * docs/protocols/core.md §9: two replicas run the cleanup job on the same schedule; the
 * lease in the database lets exactly one do the work. Evidence: the log lines each
 * process writes for the versions its rule runs removed.
 */
const PASSWORD = 'lease-password-123';
const VERSIONS = 30;
const GIVE_UP_MS = 90_000;

/** Versions the process's cleanup rule runs removed, summed over its log lines. */
function removedBy(server: ServerProcess): number {
  let n = 0;
  for (const m of server.output().matchAll(/cleanup rule \d+ \(generic\): (\d+) versions removed/g))
    n += Number(m[1]);
  return n;
}

describeIf(
  serverBuilt() && MYSQL_S3.available,
  `the built server and ${MYSQL_S3.missing}`,
  'the cleanup lease on two replicas (MySQL + S3)',
  () => {
    const replicas = useReplicas();

    it('two processes running the job at once: exactly one removes what the rule selects', async () => {
      const env: Record<string, string> = { ...replicas.env(), REGISTRY_LOG_LEVEL: 'warn' };
      // Seed with the job off, then age the versions in the database.
      const seeder = await replicas.start({ ...env, REGISTRY_CLEANUP_INTERVAL: '0' });
      const alice = await replicas.createUser(seeder, 'alice', PASSWORD);
      for (let i = 1; i <= VERSIONS; i++) {
        const put = await call(
          seeder,
          'PUT',
          `/api/packages/alice/generic/nightly/${i}/f.bin`,
          alice,
          Buffer.from(`build ${i}`),
        );
        expect(put.status).toBe(201);
      }
      const db = await createConnection(env.REGISTRY_DB_URL);
      await db.query('UPDATE package_version SET created_unix = created_unix - 3 * 86400');
      await db.end();
      const rule = await call(seeder, 'POST', '/api/v1/packages/alice/-/cleanup-rules', alice, {
        type: 'generic',
        enabled: true,
        remove_days: 1,
      });
      expect(rule.status).toBe(201);
      await seeder.stop();

      // Both replicas fire every second, from the same moment on.
      const jobEnv = { ...env, REGISTRY_LOG_LEVEL: 'info', REGISTRY_CLEANUP_INTERVAL: '1' };
      const [a, b] = await Promise.all([replicas.start(jobEnv), replicas.start(jobEnv)]);
      const deadline = Date.now() + GIVE_UP_MS;
      for (;;) {
        const list = await call(a, 'GET', '/api/v1/packages/alice', alice);
        if (list.headers.get('x-total-count') === '0') break;
        if (Date.now() > deadline) throw new Error(`versions left after ${GIVE_UP_MS} ms`);
        await new Promise((r) => setTimeout(r, 250));
      }
      // A few more turns each: the loser keeps finding the lease held or nothing to do.
      await new Promise((r) => setTimeout(r, 3000));
      const byA = removedBy(a);
      const byB = removedBy(b);
      expect(byA + byB).toBe(VERSIONS);
      expect([byA, byB].sort((x, y) => x - y)).toEqual([0, VERSIONS]);
      // Both did run passes (the one that did no work found nothing left, or the lease held).
      expect(a.output() + b.output()).toMatch(/"msg":"cleanup \(/);
    });
  },
);
