import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import {
  AdminQuotaController,
  AdminUserQuotaController,
} from './controllers/admin-quota.controller';
import { AdminUsersController } from './controllers/admin-users.controller';
import { ApiNotFoundController } from './controllers/not-found.controller';
import { CleanupRulesController } from './controllers/cleanup-rules.controller';
import { OrgsController } from './controllers/orgs.controller';
import { PackagesController } from './controllers/packages.controller';
import { OrgQuotaController, UserQuotaController } from './controllers/quota-usage.controller';
import { TokensController } from './controllers/tokens.controller';
import { UserChefKeyController } from './controllers/user-chef-key.controller';
import { UserController } from './controllers/user.controller';
import { JsonBodyMiddleware } from './http/json-body.middleware';

const CONTROLLERS = [
  AdminUsersController,
  AdminQuotaController,
  AdminUserQuotaController,
  UserController,
  UserQuotaController,
  UserChefKeyController,
  TokensController,
  OrgsController,
  OrgQuotaController,
  // Before PackagesController: `packages/{owner}/-/cleanup-rules/{id}` would match its `{type}/{name}/{version}`.
  CleanupRulesController,
  PackagesController,
];

/** The management REST API under `/api/v1` (Forgejo-compatible where Forgejo has the call). */
@Module({
  controllers: [...CONTROLLERS, ApiNotFoundController],
})
export class ApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes(...CONTROLLERS);
  }
}
