import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, ConfigError, loadConfig, runMigrations } from '@wharf/packages-core';
import { createApp } from './bootstrap';

/** `main.js` starts the server; `main.js migrate` applies migrations and exits (for a one-off job). */
async function main(argv: string[]): Promise<void> {
  const config = loadConfig();
  if (argv[0] === 'migrate') {
    const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
    const applied = await runMigrations(dataSource);
    await dataSource.destroy();
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'migrations applied', applied })}\n`);
    return;
  }
  const app = await createApp(config);
  // A stuck connection must not keep a terminating pod alive forever.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.shutdownTimeoutSeconds * 1000).unref());
  }
  await app.listen(config.port);
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'listening', port: config.port, baseUrl: config.baseUrl })}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`wharf: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`wharf: failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
