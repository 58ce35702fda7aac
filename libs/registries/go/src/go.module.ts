import { Module } from '@nestjs/common';
import { GoController } from './go.controller';
import { GoService } from './go.service';

/** The Go module proxy (docs/protocols/go.md): module zip uploads and the GOPROXY protocol. */
@Module({ controllers: [GoController], providers: [GoService] })
export class GoModule {}
