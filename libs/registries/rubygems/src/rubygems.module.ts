import { Module } from '@nestjs/common';
import { RubygemsController } from './rubygems.controller';
import { RubygemsService } from './rubygems.service';

/** The RubyGems registry (docs/protocols/rubygems.md): gem push/yank, the legacy and compact indexes, downloads. */
@Module({ controllers: [RubygemsController], providers: [RubygemsService] })
export class RubygemsModule {}
