import { Module } from '@nestjs/common';
import { MavenController } from './maven.controller';
import { MavenService } from './maven.service';

/** The Maven 2 repository (docs/protocols/maven.md): deploy by PUT, resolve by GET, generated maven-metadata.xml. */
@Module({ controllers: [MavenController], providers: [MavenService] })
export class MavenModule {}
