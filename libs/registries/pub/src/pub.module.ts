import { Module } from '@nestjs/common';
import { PubController } from './pub.controller';
import { PubService } from './pub.service';

/** Hosted pub repository v2 (docs/protocols/pub.md): publish in three steps, version listings, archives. */
@Module({ controllers: [PubController], providers: [PubService] })
export class PubModule {}
