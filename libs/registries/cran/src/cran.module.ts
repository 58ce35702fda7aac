import { Module } from '@nestjs/common';
import { CranController } from './cran.controller';
import { CranService } from './cran.service';

/** The CRAN-like R repository (docs/protocols/cran.md): source and binary uploads, PACKAGES indexes, downloads. */
@Module({ controllers: [CranController], providers: [CranService] })
export class CranModule {}
