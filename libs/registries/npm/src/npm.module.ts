import { Module } from '@nestjs/common';
import { NpmLoginService } from './npm-login.service';
import { NpmRegistryController } from './npm-registry.controller';
import { NpmController } from './npm.controller';
import { NpmService } from './npm.service';

/** The npm registry (docs/protocols/npm.md). The `-/…` routes come first: `GET /-/whoami` would otherwise read as `/{pkg}/{version}`. */
@Module({
  controllers: [NpmRegistryController, NpmController],
  providers: [NpmService, NpmLoginService],
})
export class NpmModule {}
