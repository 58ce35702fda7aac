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
    // Byte counts come from the socket: a 'data' listener on the request would switch it
    // to flowing mode and drop every chunk read before the handler pipes the body.
    const socket = req.socket;
    const readAtStart = socket.bytesRead;
    const writtenAtStart = socket.bytesWritten;
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const status = res.writableFinished ? res.statusCode : 499;
      this.metrics.requests.inc({ method: req.method, route, format, status: String(status) });
      this.metrics.latency.observe({ method: req.method, route, format }, seconds);
      const bytesIn = socket.bytesRead - readAtStart;
      this.metrics.bytesIn.inc({ format }, bytesIn);
      this.metrics.bytesOut.inc({ format }, socket.bytesWritten - writtenAtStart);
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
