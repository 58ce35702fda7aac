import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PackageCatalogQuery, UploadSessionStore } from '@wharf/packages-core';
import { ContainerAccessGuard } from './container-access.guard';
import { ContainerBaseController, ContainerNotFoundController } from './container-base.controller';
import { ContainerBlobsController } from './container-blobs.controller';
import { ContainerBlobsService } from './container-blobs.service';
import { ContainerCatalogService } from './container-catalog.service';
import { ContainerCleanupService } from './container-cleanup.service';
import { ContainerManifestsController } from './container-manifests.controller';
import { ContainerManifestsService } from './container-manifests.service';
import { ContainerTokenService } from './container-token.service';
import { API_VERSION_HEADER, OciErrorFilter } from './container.errors';

/** The container registry: OCI Distribution 1.1 at /v2 (docs/protocols/container.md). */
@Module({
  // Order matters: the catch-all 404 controller's wildcard must be registered last.
  controllers: [
    ContainerBaseController,
    ContainerBlobsController,
    ContainerManifestsController,
    ContainerNotFoundController,
  ],
  providers: [
    ContainerTokenService,
    ContainerAccessGuard,
    ContainerBlobsService,
    ContainerManifestsService,
    ContainerCatalogService,
    ContainerCleanupService,
    OciErrorFilter,
    UploadSessionStore,
    PackageCatalogQuery,
  ],
})
export class ContainerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every /v2 response says which API it speaks, errors and challenges included.
    consumer
      .apply((req: Request, res: Response, next: NextFunction) => {
        // originalUrl: under a wildcard mount, express rewrites req.path.
        const path = (req.originalUrl ?? req.url).split('?')[0];
        if (path === '/v2' || path.startsWith('/v2/')) res.setHeader(...API_VERSION_HEADER);
        next();
      })
      .forRoutes('*');
  }
}
