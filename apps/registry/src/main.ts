// first: the heap's growth is set before the modules load
import './heap-tuning';
import 'reflect-metadata';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { ADMIN_USAGE, CliUsageError, runAdminCli } from '@wharf/auth';
import {
  buildDataSourceOptions,
  ConfigError,
  loadConfig,
  runMigrations,
  startOpsListener,
} from '@wharf/packages-core';
import { createApp } from './bootstrap';

/**
 * `main.js` starts the server; `main.js migrate` applies migrations and exits (for a
 * one-off job); `main.js admin …` runs an operator command (see ADMIN_USAGE).
 */
async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  if (argv[0] === 'admin') {
    await runAdminCli(config, argv.slice(1), {
      out: (line) => process.stdout.write(`${line}\n`),
      readStdin,
    });
    return;
  }
  if (argv[0] === 'migrate') {
    const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    const applied = await runMigrations(dataSource);
    await dataSource.destroy();
    process.stdout.write(
      `${JSON.stringify({ level: 'info', msg: 'migrations applied', applied })}\n`,
    );
    return;
  }
  const app = await createApp(config);
  let opsListener: Server | undefined;
  // Graceful shutdown: stop accepting, let in-flight requests finish, close the pool, exit 0.
  // A stuck connection must not keep a terminating pod alive past the timeout.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => process.exit(1), config.shutdownTimeoutSeconds * 1000).unref();
      // the readiness probe on the ops port fails at once: no new traffic while in-flight requests end
      opsListener?.close();
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await app.listen(config.port);
  // After the main port: a probe on the ops port then means the registry is serving.
  if (config.metricsPort !== undefined)
    opsListener = await startOpsListener(app, config.metricsPort);
  process.stdout.write(
    `${JSON.stringify({ level: 'info', msg: 'listening', port: config.port, metricsPort: config.metricsPort, baseUrl: config.baseUrl })}\n`,
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof CliUsageError) {
    process.stderr.write(`wharf: ${err.message}\n${ADMIN_USAGE}\n`);
    process.exit(2);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`wharf: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wharf: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
