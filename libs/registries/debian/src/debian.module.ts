import { Module } from '@nestjs/common';
import { DebianIndexService } from './debian-index.service';
import { DebianController } from './debian.controller';
import { DebianService } from './debian.service';

/** The apt repository (docs/protocols/debian.md): .deb uploads, the pool, signed Release and Packages indexes. */
@Module({ controllers: [DebianController], providers: [DebianService, DebianIndexService] })
export class DebianModule {}
