import { Module } from '@nestjs/common';
import { ChefSignedRequestResolver } from './chef-signed-request.resolver';
import { ChefController } from './chef.controller';
import { ChefService } from './chef.service';

/** The Chef registry (docs/protocols/chef.md): the Supermarket API and Chef's signed requests. */
@Module({
  controllers: [ChefController],
  providers: [ChefService, ChefSignedRequestResolver],
})
export class ChefModule {}
