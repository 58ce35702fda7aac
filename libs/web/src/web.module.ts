import { Module } from '@nestjs/common';
import { PackageListingQuery } from '@wharf/packages-core';
import { AccountController } from './controllers/account.controller';
import { AdminController } from './controllers/admin.controller';
import { AssetsController } from './controllers/assets.controller';
import { PackagesPagesController } from './controllers/packages-pages.controller';
import { SettingsController } from './controllers/settings.controller';
import { WebGuard } from './http/web.guard';
import { PackagePagesService } from './packages/package-pages.service';
import { WebSessionService } from './session/web-session.service';

/**
 * The web interface: server-rendered pages at Forgejo's web paths, from the same process.
 * Reads go through core's read model; access through auth's PackageAccessService.
 */
@Module({
  controllers: [
    AssetsController,
    AccountController,
    SettingsController,
    AdminController,
    // Last: its `/:owner/-/packages…` routes must not shadow the fixed paths above.
    PackagesPagesController,
  ],
  providers: [WebSessionService, WebGuard, PackageListingQuery, PackagePagesService],
})
export class WebModule {}
