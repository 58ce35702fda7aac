import { DynamicModule, Module, Type } from '@nestjs/common';
import { AppConfig, PackagesCoreModule } from '@wharf/packages-core';

/** Every format's module; registering a format is one line here. */
export const REGISTRY_MODULES: Type[] = [];

/** The composition root: core, identity, the management API and the formats. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [PackagesCoreModule.forRoot(config), ...REGISTRY_MODULES],
    };
  }
}
