import { AddressInfo } from 'node:net';
import { INestApplication } from '@nestjs/common';
import { loadConfig } from '@wharf/packages-core';
import { createApp } from '../../../apps/registry/src/bootstrap';
import { TestApp } from '../test-app';

/**
 * A second server process's worth of application over the same database and blob store
 * as `primary` (same environment, its own port and in-process state), as a replica
 * behind a load balancer would be.
 */
export async function startReplica(
  primary: TestApp,
): Promise<{ url: string; app: INestApplication; close(): Promise<void> }> {
  const config = loadConfig({ ...primary.env, REGISTRY_MIGRATE_ON_START: 'false' });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  Object.assign(config, { baseUrl: url });
  return { url, app, close: () => app.close() };
}
