import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Database } from '../database/database.service';
import { PackageBlobEntity } from '../entities';

/** Prometheus metrics; one registry per application instance (tests start several). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'wharf_http_requests_total',
    help: 'HTTP requests by route, format and status',
    labelNames: ['method', 'route', 'format', 'status'],
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'wharf_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'format'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly bytesIn = new Counter({
    name: 'wharf_http_bytes_in_total',
    help: 'Request body bytes received',
    labelNames: ['format'],
    registers: [this.registry],
  });
  readonly bytesOut = new Counter({
    name: 'wharf_http_bytes_out_total',
    help: 'Response body bytes sent',
    labelNames: ['format'],
    registers: [this.registry],
  });

  constructor(db: Database) {
    collectDefaultMetrics({ register: this.registry, prefix: 'wharf_' });
    const blobs = new Gauge({
      name: 'wharf_blobs_stored',
      help: 'Blobs stored (deduplicated)',
      registers: [this.registry],
      async collect() {
        try {
          this.set(await db.manager.count(PackageBlobEntity));
        } catch {
          // database down: /readyz reports it; keep serving the other metrics
        }
      },
    });
    void blobs;
  }
}
