import { Module } from '@nestjs/common';
import { AltController } from './alt.controller';
import { AltService } from './alt.service';

/** ALT Linux apt-rpm repositories (docs/protocols/alt.md): rpm uploads, base/ indexes, RPMS.classic. */
@Module({ controllers: [AltController], providers: [AltService] })
export class AltModule {}
