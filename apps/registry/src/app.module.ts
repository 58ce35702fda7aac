import { DynamicModule, Module, Type } from '@nestjs/common';
import { ApiModule } from '@wharf/api';
import { AuthModule } from '@wharf/auth';
import { AppConfig, PackagesCoreModule } from '@wharf/packages-core';
import { AltModule } from '@wharf/registry-alt';
import { CargoModule } from '@wharf/registry-cargo';
import { ChefModule } from '@wharf/registry-chef';
import { ComposerModule } from '@wharf/registry-composer';
import { ConanModule } from '@wharf/registry-conan';
import { RpmModule } from '@wharf/registry-rpm';
import { ArchModule } from '@wharf/registry-arch';
import { AlpineModule } from '@wharf/registry-alpine';
import { CondaModule } from '@wharf/registry-conda';
import { DebianModule } from '@wharf/registry-debian';
import { CranModule } from '@wharf/registry-cran';
import { ContainerModule } from '@wharf/registry-container';
import { GenericModule } from '@wharf/registry-generic';
import { GoModule } from '@wharf/registry-go';
import { HelmModule } from '@wharf/registry-helm';
import { MavenModule } from '@wharf/registry-maven';
import { NpmModule } from '@wharf/registry-npm';
import { NuGetModule } from '@wharf/registry-nuget';
import { PypiModule } from '@wharf/registry-pypi';
import { RubygemsModule } from '@wharf/registry-rubygems';
import { SwiftModule } from '@wharf/registry-swift';
import { PubModule } from '@wharf/registry-pub';
import { VagrantModule } from '@wharf/registry-vagrant';
import { WebModule } from '@wharf/web';

/** Every format's module; registering a format is one line here. */
export const REGISTRY_MODULES: Type[] = [
  GenericModule,
  HelmModule,
  MavenModule,
  ContainerModule,
  NpmModule,
  PypiModule,
  RubygemsModule,
  CargoModule,
  ComposerModule,
  VagrantModule,
  SwiftModule,
  PubModule,
  ConanModule,
  ChefModule,
  GoModule,
  CranModule,
  NuGetModule,
  CondaModule,
  AltModule,
  DebianModule,
  RpmModule,
  ArchModule,
  AlpineModule,
];

/** The composition root: core, identity, the management API and the formats. */
@Module({})
export class AppModule {
  /** `extraModules`: more modules to mount (tests add probe routes this way). */
  static forRoot(config: AppConfig, extraModules: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PackagesCoreModule.forRoot(config),
        AuthModule,
        ApiModule,
        ...REGISTRY_MODULES,
        WebModule,
        ...extraModules,
      ],
    };
  }
}
