import { Module } from '@nestjs/common';
import { ArchIndexService } from './arch-index.service';
import { ArchController } from './arch.controller';
import { ArchService } from './arch.service';

/** pacman repositories (docs/protocols/arch.md): packages signed on upload, signed databases per architecture, downloads. */
@Module({
  controllers: [ArchController],
  providers: [ArchService, ArchIndexService],
})
export class ArchModule {}
