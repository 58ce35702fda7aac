import { createConnection, RowDataPacket } from 'mysql2/promise';
import { blobKey } from '@wharf/packages-core';
import { describeIf } from '@wharf/packages-core/testing/test-env';
import { minioClient, MYSQL_S3 } from './support/backends';
import { call, useReplicas } from './support/cleanup-replicas';
import { serverBuilt, ServerProcess } from './support/server-process';

/**
 * docs/protocols/core.md §9: a replica killed (SIGKILL) in the middle of a cleanup pass
 * leaves nothing half-removed, and once its lease expires the other replica finishes the
 * job. The run is made long with many versions of two files each; the holder is killed
 * once part of them are gone. Then, in the database and the bucket: every file has its
 * blob, every blob its object, every object its blob, every version its files, and the
 * versions the rule does not select are whole.
 */
const PASSWORD = 'kill-password-123';
const OLD = 120;
const YOUNG = 3;
const FILES = ['a.bin', 'b.bin'];
const GIVE_UP_MS = 180_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeIf(
  serverBuilt() && MYSQL_S3.available,
  `the built server and ${MYSQL_S3.missing}`,
  'a replica killed mid-pass (MySQL + S3)',
  () => {
    const replicas = useReplicas();

    it('the other replica finishes the job once the lease expires, and nothing is half-removed', async () => {
      const env: Record<string, string> = { ...replicas.env(), REGISTRY_LOG_LEVEL: 'warn' };
      const db = await createConnection(env.REGISTRY_DB_URL);
      const count = async (sql: string) =>
        Number(((await db.query<RowDataPacket[]>(sql))[0][0] as { n: number }).n);
      try {
        // Seed with the job off: OLD versions aged past the rule, YOUNG ones not.
        const seeder = await replicas.start({ ...env, REGISTRY_CLEANUP_INTERVAL: '0' });
        const alice = await replicas.createUser(seeder, 'alice', PASSWORD);
        const publish = async (versions: string[]) => {
          let next = 0;
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              while (next < versions.length) {
                const v = versions[next++];
                for (const f of FILES) {
                  const put = await call(
                    seeder,
                    'PUT',
                    `/api/packages/alice/generic/nightly/${v}/${f}`,
                    alice,
                    Buffer.from(`${v}/${f}`),
                  );
                  expect(put.status).toBe(201);
                }
              }
            }),
          );
        };
        await publish(Array.from({ length: OLD }, (_, i) => `old-${i}`));
        await db.query('UPDATE package_version SET created_unix = created_unix - 3 * 86400');
        const young = Array.from({ length: YOUNG }, (_, i) => `young-${i}`);
        await publish(young);
        const rule = await call(seeder, 'POST', '/api/v1/packages/alice/-/cleanup-rules', alice, {
          type: 'generic',
          enabled: true,
          remove_days: 1,
        });
        expect(rule.status).toBe(201);
        await seeder.stop();

        // Two replicas, every second; a short lease, and blobs collected at any age.
        const jobEnv = {
          ...env,
          REGISTRY_LOG_LEVEL: 'info',
          REGISTRY_CLEANUP_INTERVAL: '1',
          REGISTRY_CLEANUP_LEASE: '4s',
          REGISTRY_CLEANUP_OLDER_THAN: '0s',
        };
        const [a, b] = await Promise.all([replicas.start(jobEnv), replicas.start(jobEnv)]);
        const oldLeft = () =>
          count(`SELECT COUNT(*) AS n FROM package_version WHERE lower_version LIKE 'old-%'`);

        // Kill whichever holds the lease once it has removed some versions, not all.
        let victim: ServerProcess | undefined;
        let leftAtKill = OLD;
        const deadline = Date.now() + GIVE_UP_MS;
        while (!victim) {
          if (Date.now() > deadline) throw new Error(`no pass got going in ${GIVE_UP_MS} ms`);
          const left = await oldLeft();
          if (left <= OLD - 10) {
            if (left < 20)
              throw new Error(`the pass went too fast to be killed mid-run (${left} left)`);
            const [[lease]] = await db.query<RowDataPacket[]>(
              `SELECT holder FROM job_lease WHERE name = 'cleanup'`,
            );
            victim = [a, b].find((s) => String(lease.holder).includes(`-${s.child.pid}-`));
            if (!victim) throw new Error(`lease holder ${lease.holder} is neither process`);
            victim.child.kill('SIGKILL');
            await victim.exited;
            leftAtKill = await oldLeft();
          } else await sleep(50);
        }
        const survivor = victim === a ? b : a;
        expect(leftAtKill).toBeGreaterThan(0);
        expect(leftAtKill).toBeLessThan(OLD);

        // The survivor takes the lease once it expires and finishes: versions, then blobs.
        const blobRows = async () =>
          (await db.query<RowDataPacket[]>('SELECT storage_id FROM package_blob'))[0].map((r) =>
            blobKey(String(r.storage_id)),
          );
        const settled = async () =>
          (await oldLeft()) === 0 &&
          (await count(`SELECT COUNT(*) AS n FROM package_blob_upload WHERE purpose = 'gc'`)) ===
            0 &&
          (await count(
            'SELECT COUNT(*) AS n FROM package_blob b WHERE NOT EXISTS (SELECT 1 FROM package_file f WHERE f.blob_id = b.id)',
          )) === 0;
        while (!(await settled())) {
          if (Date.now() > deadline)
            throw new Error(
              `not finished in ${GIVE_UP_MS} ms: ${await oldLeft()} old versions left`,
            );
          await sleep(250);
        }
        expect(survivor.output()).toMatch(/cleanup rule \d+ \(generic\): \d+ versions removed/);

        // Nothing half-removed.
        expect(
          await count(
            'SELECT COUNT(*) AS n FROM package_file f WHERE NOT EXISTS (SELECT 1 FROM package_blob b WHERE b.id = f.blob_id)',
          ),
        ).toBe(0);
        expect(
          await count(
            'SELECT COUNT(*) AS n FROM package_version v WHERE NOT EXISTS (SELECT 1 FROM package_file f WHERE f.version_id = v.id)',
          ),
        ).toBe(0);
        const [versions] = await db.query<RowDataPacket[]>(
          `SELECT v.lower_version AS version, COUNT(f.id) AS files FROM package_version v
             JOIN package_file f ON f.version_id = v.id GROUP BY v.id ORDER BY v.lower_version`,
        );
        expect(versions.map((v) => [v.version, Number(v.files)])).toEqual(
          young.map((v) => [v, FILES.length]),
        );
        // Every blob row has its object and every object its row (none orphaned by the kill).
        const objects: string[] = [];
        for await (const item of minioClient().listObjectsV2(
          env.REGISTRY_S3_BUCKET,
          'blobs/',
          true,
        ))
          if (item.name) objects.push(item.name);
        const rows = await blobRows();
        expect(rows).toHaveLength(YOUNG * FILES.length);
        expect(objects.sort()).toEqual(rows.sort());
        // And the young files still download whole.
        for (const v of young)
          for (const f of FILES) {
            const got = await call(
              survivor,
              'GET',
              `/api/packages/alice/generic/nightly/${v}/${f}`,
              alice,
            );
            expect([got.status, got.text]).toEqual([200, `${v}/${f}`]);
          }
      } finally {
        await db.end();
      }
    });
  },
);
