import { Module } from '@nestjs/common';
import { ConanIndexService } from './conan-index.service';
import { ConanTokenService } from './conan-token.service';
import { ConanV1Controller } from './conan-v1.controller';
import { ConanV2Controller } from './conan-v2.controller';
import { ConanService } from './conan.service';

/** The Conan remote (docs/protocols/conan.md): REST v1 and v2, the token exchange, search. */
@Module({
  controllers: [ConanV2Controller, ConanV1Controller],
  providers: [ConanService, ConanIndexService, ConanTokenService],
})
export class ConanModule {}
