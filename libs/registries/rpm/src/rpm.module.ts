import { Module } from '@nestjs/common';
import { RpmIndexService } from './rpm-index.service';
import { RpmController, RpmRepoFileController } from './rpm.controller';
import { RpmService } from './rpm.service';

/** rpm-md repositories for dnf, yum and zypper (docs/protocols/rpm.md): signed uploads, repodata per group, downloads. */
@Module({
  controllers: [RpmRepoFileController, RpmController],
  providers: [RpmService, RpmIndexService],
})
export class RpmModule {}
