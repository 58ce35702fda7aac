import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MYSQL_S3 } from './backends';
import { ADMIN, ADMIN_ENV } from './clients/accounts';
import { freePortBlock } from './private-services';
import { ServerProcess, startServerProcess } from './server-process';

/** Replicas of the built server on one MySQL database and S3 bucket, for the cleanup job's suites. */

export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** One request; a Buffer body goes raw, anything else as JSON. */
export async function call(
  server: ServerProcess,
  method: string,
  p: string,
  auth: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(server.url + p, {
    method,
    headers: {
      authorization: auth,
      ...(body !== undefined && !(body instanceof Buffer)
        ? { 'content-type': 'application/json' }
        : {}),
    },
    body: body === undefined ? undefined : body instanceof Buffer ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export interface Replicas {
  /** REGISTRY_* of the shared database and bucket, with the admin account's. */
  env(): Record<string, string>;
  /** Starts a replica on its own port; ready when it answers /readyz. Killed after the suite. */
  start(env: Record<string, string>): Promise<ServerProcess>;
  /** Creates a user through the admin API; returns its Basic authorization. */
  createUser(server: ServerProcess, username: string, password: string): Promise<string>;
}

/** Provisions the database and bucket before the suite and removes them, and the replicas, after it. */
export function useReplicas(): Replicas {
  let dataDir: string;
  let provisioned: Awaited<ReturnType<typeof MYSQL_S3.provision>>;
  const servers: ServerProcess[] = [];
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'wharf-replicas-'));
    provisioned = await MYSQL_S3.provision(dataDir);
  });
  afterAll(async () => {
    for (const s of servers) await s.stop('SIGKILL');
    await provisioned?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    env: () => ({ ...provisioned.env, ...ADMIN_ENV }),
    async start(env) {
      const server = startServerProcess({ ...env, PORT: String(await freePortBlock()) });
      servers.push(server);
      await server.ready();
      return server;
    },
    async createUser(server, username, password) {
      const created = await call(
        server,
        'POST',
        '/api/v1/admin/users',
        basic(ADMIN.username, ADMIN.password),
        { username, email: `${username}@example.com`, password },
      );
      if (created.status !== 201)
        throw new Error(`creating ${username}: ${created.status} ${created.text}`);
      return basic(username, password);
    },
  };
}
