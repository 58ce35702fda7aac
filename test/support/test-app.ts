import { INestApplication, Type } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AppConfig, loadConfig } from '@wharf/packages-core';
import { createApp } from '../../apps/registry/src/bootstrap';
import { Backend } from './backends';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  /** http://127.0.0.1:<port>, no trailing slash */
  url: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the whole application on a loopback port over fresh state on `backend`.
 * `env` adds or overrides REGISTRY_* variables (e.g. size limits, admin bootstrap);
 * `options.extraModules` mounts test-only modules (e.g. a probe route behind a guard).
 */
export async function startTestApp(
  backend: Backend,
  env: Record<string, string> = {},
  options: { extraModules?: Type[] } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-e2e-'));
  const provisioned = await backend.provision(dataDir);
  const fullEnv: Record<string, string> = {
    REGISTRY_LOG_LEVEL: 'error',
    REGISTRY_CLEANUP_INTERVAL: '0',
    REGISTRY_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    ...provisioned.env,
    ...env,
  };
  const config0 = loadConfig(fullEnv);
  const app = await createApp(config0, options.extraModules);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  // The public URL is only known once the port is: rebuild the config with it.
  const url = `http://127.0.0.1:${port}`;
  Object.assign(config0, { baseUrl: env.REGISTRY_BASE_URL ?? url });
  return {
    app,
    config: config0,
    url,
    env: fullEnv,
    async close() {
      await app.close();
      await provisioned.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
