import {
  DynamicModule,
  Global,
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { AppConfig } from './config/config';
import { SecretService } from './config/secret.service';
import { buildDataSourceOptions } from './database/data-source-options';
import { Database } from './database/database.service';
import { runMigrations } from './database/run-migrations';
import { DocumentCache } from './documents/document-cache';
import { IndexLogService } from './documents/index-log';
import { IngestService } from './ingest/ingest.service';
import { BlobDigestService } from './ingest/blob-digest.service';
import { MetricsService } from './ops/metrics.service';
import { OpsController } from './ops/ops.controller';
import { ReadinessService } from './ops/readiness.service';
import { RequestLoggingMiddleware } from './ops/request-logging.middleware';
import { CleanupRuleService } from './cleanup/cleanup-rule.service';
import { JobLeaseService } from './cleanup/job-lease.service';
import { BlobCollector } from './packages/blob-collector';
import { CleanupService } from './packages/cleanup.service';
import { PackageDownloadService } from './packages/package-download.service';
import { PackageQueryService } from './packages/package-query.service';
import { PackageService } from './packages/package.service';
import { QuotaAdminService } from './quota/quota-admin.service';
import { QuotaService } from './quota/quota.service';
import { SigningKeyService } from './signing/signing-key.service';
import { BLOB_STORAGE } from './storage/blob-storage';
import { blobStorageProvider } from './storage/storage.providers';

/** Opens the database (and migrates it when configured to) before anything else starts. */
const dataSourceProvider: Provider = {
  provide: DataSource,
  inject: [AppConfig],
  useFactory: async (config: AppConfig) => {
    if (config.database.kind === 'sqlite')
      mkdirSync(path.dirname(config.database.file), { recursive: true });
    const dataSource = new DataSource(buildDataSourceOptions(config.database));
    await dataSource.initialize();
    if (config.migrateOnStart) await runMigrations(dataSource);
    return dataSource;
  },
};

const SERVICES = [
  Database,
  SecretService,
  QuotaService,
  QuotaAdminService,
  IngestService,
  PackageService,
  PackageQueryService,
  PackageDownloadService,
  DocumentCache,
  IndexLogService,
  CleanupRuleService,
  JobLeaseService,
  BlobCollector,
  CleanupService,
  MetricsService,
  ReadinessService,
  SigningKeyService,
  BlobDigestService,
];

/**
 * Everything formats build on: configuration, database, blob storage, ingest, package
 * services, and the operational endpoints (/healthz, /readyz, /metrics).
 */
@Global()
@Module({})
export class PackagesCoreModule implements NestModule, OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PackagesCoreModule,
      controllers: [OpsController],
      providers: [
        { provide: AppConfig, useValue: config },
        dataSourceProvider,
        blobStorageProvider,
        ...SERVICES,
      ],
      exports: [AppConfig, DataSource, BLOB_STORAGE, ...SERVICES],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLoggingMiddleware).forRoutes('*');
  }

  /** Closes the pool last, after in-flight requests have finished. */
  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
