import { Module } from '@nestjs/common';
import { VagrantController } from './vagrant.controller';
import { VagrantService } from './vagrant.service';

/** Vagrant boxes (docs/protocols/vagrant.md): box catalogs, uploads, downloads, token check. */
@Module({ controllers: [VagrantController], providers: [VagrantService] })
export class VagrantModule {}
