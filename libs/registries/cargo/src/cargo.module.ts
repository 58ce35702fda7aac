import { Module } from '@nestjs/common';
import { CargoApiController } from './cargo-api.controller';
import { CargoIndexController } from './cargo-index.controller';
import { CargoTokenResolver } from './cargo-token.resolver';
import { CargoService } from './cargo.service';

/** The cargo registry (docs/protocols/cargo.md): sparse index and web API; the web API's routes first. */
@Module({
  controllers: [CargoApiController, CargoIndexController],
  providers: [CargoService, CargoTokenResolver],
})
export class CargoModule {}
