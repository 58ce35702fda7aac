import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { MetricsService } from './metrics.service';
import { ReadinessService } from './readiness.service';

/**
 * The operations listener (REGISTRY_METRICS_PORT): /metrics, /readyz and /healthz on a
 * port of their own, so Prometheus and the kubelet reach them while an ingress routing
 * to the main port does not. A plain node server: three GETs need no framework, and it
 * answers even while the main port is saturated by uploads.
 */
export async function startOpsListener(
  app: INestApplicationContext,
  port: number,
  host?: string,
): Promise<Server> {
  const metrics = app.get(MetricsService);
  const readiness = app.get(ReadinessService);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (path === '/healthz') return send(200, 'application/json', '{"status":"ok"}');
    if (path === '/readyz') {
      readiness.check().then(
        (report) => send(report.ready ? 200 : 503, 'application/json', JSON.stringify(report)),
        (err: Error) => send(503, 'text/plain; charset=utf-8', `${err.message}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => send(200, metrics.registry.contentType, text),
        (err: Error) => send(500, 'text/plain; charset=utf-8', `${err.message}\n`),
      );
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'not found: /metrics, /readyz and /healthz only\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** The port a listener bound (for port 0 in tests). */
export const listeningPort = (server: Server): number => (server.address() as AddressInfo).port;
