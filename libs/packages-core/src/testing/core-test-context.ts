import { Test, TestingModule } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppConfig, loadConfig } from '../config/config';
import { Database } from '../database/database.service';
import { nowUnix, OwnerKind, UserEntity, Visibility } from '../entities';
import { IngestService } from '../ingest/ingest.service';
import { CleanupService } from '../packages/cleanup.service';
import { PackageDownloadService } from '../packages/package-download.service';
import { PackageQueryService } from '../packages/package-query.service';
import { PackageService } from '../packages/package.service';
import { PackagesCoreModule } from '../packages-core.module';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';
import { Backend } from './backends';

/** Core services on a real database and blob store, without HTTP. */
export interface CoreTestContext {
  module: TestingModule;
  config: AppConfig;
  db: Database;
  storage: BlobStorage;
  ingest: IngestService;
  packages: PackageService;
  query: PackageQueryService;
  downloads: PackageDownloadService;
  cleanup: CleanupService;
  dataDir: string;
  /** Inserts a user row to own packages. */
  makeOwner(name?: string): Promise<UserEntity>;
  close(): Promise<void>;
}

export async function createCoreTestContext(
  backend: Backend,
  env: Record<string, string> = {},
): Promise<CoreTestContext> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-core-'));
  const provisioned = await backend.provision(dataDir);
  const config = loadConfig({
    REGISTRY_LOG_LEVEL: 'error',
    REGISTRY_CLEANUP_INTERVAL: '0',
    ...provisioned.env,
    ...env,
  });
  const module = await Test.createTestingModule({
    imports: [PackagesCoreModule.forRoot(config)],
  }).compile();
  await module.init();
  const db = module.get(Database);
  let counter = 0;
  return {
    module,
    config,
    db,
    storage: module.get(BLOB_STORAGE),
    ingest: module.get(IngestService),
    packages: module.get(PackageService),
    query: module.get(PackageQueryService),
    downloads: module.get(PackageDownloadService),
    cleanup: module.get(CleanupService),
    dataDir,
    async makeOwner(name = `owner${++counter}`) {
      const now = nowUnix();
      const row = db.manager.create(UserEntity, {
        name,
        lowerName: name.toLowerCase(),
        kind: OwnerKind.User,
        visibility: Visibility.Public,
        createdUnix: now,
        updatedUnix: now,
      });
      await db.manager.insert(UserEntity, row);
      return row;
    },
    async close() {
      await module.close();
      await provisioned.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
