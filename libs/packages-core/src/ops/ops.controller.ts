import { Controller, Get, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AppConfig } from '../config/config';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

@Controller()
export class OpsController {
  constructor(
    private readonly config: AppConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: MetricsService,
  ) {}

  // Kubernetes liveness: the process answers.
  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  // Kubernetes readiness: 503 while the database or the blob store is unreachable.
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    this.onlyWithoutOpsListener();
    const report = await this.readiness.check();
    res.status(report.ready ? 200 : 503).json(report);
  }

  // Prometheus scrape endpoint.
  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    this.onlyWithoutOpsListener();
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }

  /** With REGISTRY_METRICS_PORT, /readyz and /metrics live on that port only (ops-listener.ts). */
  private onlyWithoutOpsListener(): void {
    if (this.config.metricsPort !== undefined)
      throw new NotFoundException('served on the metrics port (REGISTRY_METRICS_PORT)');
  }
}
