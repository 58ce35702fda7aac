/**
 * RPM figures (issue 15): how long the repodata takes to catch up after one upload, with 50
 * and with 5,000 packages already in the group. "Index update" is what dnf fetches after
 * the change — repomd.xml, repomd.xml.asc and the three documents it lists — timed from
 * the first request after the upload's 201 to the last byte, so it includes rebuilding the
 * changed shard's part, joining, hashing and signing. The upload itself (read, signed,
 * stored) is timed apart. Prints the medians and the ratio, never asserts.
 *
 *   npm run bench:rpm
 *
 * BENCH_SIZES=50,5000 and BENCH_UPLOADS=15 change the sizes and the uploads measured.
 */
import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  Database,
  IngestService,
  PackageService,
  PackageType,
  UserEntity,
} from '@wharf/packages-core';
import { buildRpmSet } from '@wharf/packages-core/testing/rpmbuild';
import { SQLITE_FS } from '../test/support/backends';
import { ADMIN_ENV, createToken, createUser } from '../test/support/clients/accounts';
import { startTestApp, TestApp } from '../test/support/test-app';

const SIZES = (process.env.BENCH_SIZES ?? '50,5000').split(',').map(Number);
const UPLOADS = Number(process.env.BENCH_UPLOADS ?? 15);
const GROUP = 'el9';

/** The file metadata of a typical small package: a dozen files, dependencies, changelog. */
function seedMetadata(name: string) {
  return {
    architecture: 'x86_64',
    epoch: '0',
    version: '1.0',
    release: '1.el9',
    build_host: 'builder',
    build_time: 1700000000,
    installed_size: 123456,
    archive_size: 124000,
    header_start: 4504,
    header_end: 9000,
    provide: [
      { name, flags: 'EQ', epoch: '0', version: '1.0', release: '1.el9' },
      { name: `${name}(x86-64)`, flags: 'EQ', epoch: '0', version: '1.0', release: '1.el9' },
    ],
    require: [
      { name: 'glibc', flags: 'GE', epoch: '0', version: '2.34' },
      { name: 'libc.so.6()(64bit)' },
      { name: '/bin/sh', pre: true },
    ],
    files: [
      { path: `/usr/bin/${name}`, is_executable: true },
      { path: `/usr/share/${name}`, type: 'dir' },
      ...Array.from({ length: 10 }, (_, i) => ({ path: `/usr/share/${name}/file-${i}.txt` })),
    ],
    changelogs: [
      { author: 'Packager <p@example.org> - 1.0-1', date: 1700000000, text: '- Initial build.' },
    ],
  };
}

/** Seeds `count` packages in the group straight through PackageService (one shared blob). */
async function seed(t: TestApp, owner: UserEntity, count: number, blobFile: Buffer) {
  const ingest = t.app.get(IngestService);
  const packages = t.app.get(PackageService);
  const staged = await ingest.ingest(Readable.from([blobFile]));
  let blob: { blobId: number } | undefined;
  for (let i = 0; i < count; i++) {
    const name = `seed-${i}`;
    const published = await packages.createOrAddFile(
      { ownerId: owner.id, type: PackageType.Rpm, name },
      {
        version: '1.0-1.el9',
        creatorId: owner.id,
        metadata: { license: 'MIT', summary: `The ${name} package`, description: 'Seeded.' },
      },
      {
        name: `${name}-1.0-1.el9.x86_64.rpm`,
        compositeKey: GROUP,
        isLead: true,
        blob: blob ?? staged,
        properties: {
          'rpm.group': GROUP,
          'rpm.architecture': 'x86_64',
          'rpm.metadata': JSON.stringify(seedMetadata(name)),
        },
      },
    );
    blob ??= { blobId: published.file.blobId };
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(size: number, rpms: Buffer[]): Promise<{ upload: number; index: number }> {
  const t = await startTestApp(SQLITE_FS, ADMIN_ENV);
  try {
    await createUser(t.url, 'bench');
    const token = await createToken(t.url, 'bench');
    const owner = await t.app
      .get(Database)
      .manager.findOneByOrFail(UserEntity, { lowerName: 'bench' });
    const started = Date.now();
    await seed(t, owner, size, rpms[0]);
    const seeded = ((Date.now() - started) / 1000).toFixed(1);
    const base = `/api/packages/bench/rpm/${GROUP}`;
    const get = (file: string) =>
      request(t.url).get(`${base}/repodata/${file}`).auth('bench', token).expect(200);
    const refresh = async () => {
      for (const file of [
        'repomd.xml',
        'repomd.xml.asc',
        'primary.xml.gz',
        'filelists.xml.gz',
        'other.xml.gz',
      ])
        await get(file);
    };
    await refresh(); // every shard's part built once, as a long-running replica has them
    const uploads: number[] = [];
    const updates: number[] = [];
    for (const rpm of rpms.slice(1, UPLOADS + 1)) {
      let s = process.hrtime.bigint();
      await request(t.url)
        .put(`${base}/upload`)
        .auth('bench', token)
        .set('Content-Type', 'application/octet-stream')
        .send(rpm)
        .expect(201);
      uploads.push(Number(process.hrtime.bigint() - s) / 1e6);
      s = process.hrtime.bigint();
      await refresh();
      updates.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    const primary = await get('primary.xml.gz');
    const result = { upload: median(uploads), index: median(updates) };
    console.log(
      `${size} packages in the group (seeded in ${seeded} s, primary.xml.gz ${primary.headers['content-length']} bytes): ` +
        `upload ${result.upload.toFixed(1)} ms, index update ${result.index.toFixed(1)} ms (medians of ${updates.length})`,
    );
    return result;
  } finally {
    await t.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-rpm-bench-'));
  try {
    // One rpmbuild run for the seed blob and every measured upload.
    const rpms = buildRpmSet(dir, 'bench-new', '1.0', UPLOADS + 1).map((f) => readFileSync(f));
    const results = [];
    for (const size of SIZES) results.push({ size, ...(await measure(size, rpms)) });
    if (results.length >= 2) {
      const [small, large] = [results[0], results[results.length - 1]];
      console.log(
        `index update after one upload: ${large.size} packages / ${small.size} packages = ` +
          `${(large.index / small.index).toFixed(2)}x (upload ${(large.upload / small.upload).toFixed(2)}x)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
