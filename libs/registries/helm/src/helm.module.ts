import { Module } from '@nestjs/common';
import { HelmController } from './helm.controller';
import { HelmService } from './helm.service';

/** The Helm chart repository (docs/protocols/helm.md): index.yaml, chart downloads, ChartMuseum uploads. */
@Module({ controllers: [HelmController], providers: [HelmService] })
export class HelmModule {}
