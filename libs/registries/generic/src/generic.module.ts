import { Module } from '@nestjs/common';
import { GenericController } from './generic.controller';
import { GenericService } from './generic.service';

/** The generic registry (docs/protocols/generic.md): arbitrary files under name → version → file. */
@Module({ controllers: [GenericController], providers: [GenericService] })
export class GenericModule {}
