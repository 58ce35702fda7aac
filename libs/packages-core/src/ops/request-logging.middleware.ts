import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { MetricsService } from './metrics.service';

/** The format a path belongs to, for metrics labels. */
export function formatOf(path: string): string {
  if (path === '/v2' || path.startsWith('/v2/')) return 'container';
  const match = /^\/api\/packages\/[^/]+\/([a-z]+)/.exec(path);
  if (match) return match[1];
  if (path.startsWith('/api/v1')) return 'api';
  return 'none';
}

/**
 * Request id, JSON access log and metrics for every request. Logs the path without its
 * query string and never any header, so credentials cannot reach the logs.
 */
@Injectable()
export class RequestLoggingMiddleware implements NestMiddleware {
  private readonly log = new Logger('http');

  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const id =
      typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    const path = (req.originalUrl ?? req.url).split('?')[0];
    const format = formatOf(path);
    let bytesIn = 0;
    req.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const status = res.writableFinished ? res.statusCode : 499;
      this.metrics.requests.inc({ method: req.method, route, format, status: String(status) });
      this.metrics.latency.observe({ method: req.method, route, format }, seconds);
      this.metrics.bytesIn.inc({ format }, bytesIn);
      const length = Number(res.getHeader('content-length') ?? 0);
      if (Number.isFinite(length) && status !== 304 && req.method !== 'HEAD')
        this.metrics.bytesOut.inc({ format }, length);
      this.log.log({
        msg: 'request',
        requestId: id,
        method: req.method,
        path,
        status,
        ms: Math.round(seconds * 1000),
        bytesIn,
      });
    });
    next();
  }
}

/** The matched route pattern (bounded label cardinality), or `unmatched`. */
function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: string } }).route?.path;
  return typeof route === 'string' ? route : 'unmatched';
}
