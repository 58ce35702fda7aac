import { Module } from '@nestjs/common';
import { SwiftController } from './swift.controller';
import { SwiftService } from './swift.service';

/** Swift package registry (docs/protocols/swift.md): SE-0292 reads, SE-0391 publish, login. */
@Module({ controllers: [SwiftController], providers: [SwiftService] })
export class SwiftModule {}
