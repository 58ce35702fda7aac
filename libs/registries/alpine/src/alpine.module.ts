import { Module } from '@nestjs/common';
import { AlpineIndexService } from './alpine-index.service';
import { AlpineController } from './alpine.controller';
import { AlpineService } from './alpine.service';

/** apk repositories (docs/protocols/alpine.md): .apk uploads per branch and repository, signed APKINDEX per architecture. */
@Module({ controllers: [AlpineController], providers: [AlpineService, AlpineIndexService] })
export class AlpineModule {}
