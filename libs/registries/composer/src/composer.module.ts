import { Module } from '@nestjs/common';
import { ComposerController } from './composer.controller';
import { ComposerService } from './composer.service';

/** The Composer repository (docs/protocols/composer.md): packages.json, p2 metadata, search, list, uploads, downloads. */
@Module({ controllers: [ComposerController], providers: [ComposerService] })
export class ComposerModule {}
