import { Module } from '@nestjs/common';
import { CargoApiController } from './cargo-api.controller';
import { CargoIndexController } from './cargo-index.controller';
import { CargoService } from './cargo.service';

/** The cargo registry (docs/protocols/cargo.md): sparse index and web API; the web API's routes first. */
@Module({
  controllers: [CargoApiController, CargoIndexController],
  providers: [CargoService],
})
export class CargoModule {}
