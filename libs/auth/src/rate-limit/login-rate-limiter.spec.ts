import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import {
  buildDataSourceOptions,
  Database,
  LoginAttemptEntity,
  RegistryError,
  runMigrations,
} from '@wharf/packages-core';
import { LOGIN_MAX_FAILURES, LOGIN_WINDOW_SECONDS, LoginRateLimiter } from './login-rate-limiter';

describe('LoginRateLimiter (SQLite)', () => {
  let dir: string;
  let dataSource: DataSource;
  let limiter: LoginRateLimiter;
  const t0 = 1_700_000_000;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-limiter-'));
    dataSource = await new DataSource(
      buildDataSourceOptions({ kind: 'sqlite', file: path.join(dir, 'db.sqlite') }),
    ).initialize();
    await runMigrations(dataSource);
    limiter = new LoginRateLimiter(new Database(dataSource));
  });
  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const status = async (subject: string, now: number) => {
    try {
      return await limiter.assertAllowed(subject, now);
    } catch (err) {
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).status).toBe(429);
      return 'blocked' as const;
    }
  };

  it('keys subjects by user name (case-insensitively) and address, without storing either', () => {
    const a = limiter.subject('Alice', '10.0.0.1');
    expect(a).toBe(limiter.subject('alice', '10.0.0.1'));
    expect(a).not.toBe(limiter.subject('alice', '10.0.0.2'));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('blocks after a burst of failures, until the window has passed', async () => {
    const s = limiter.subject('bob', '10.0.0.1');
    await expect(status(s, t0)).resolves.toEqual({ hasFailures: false });
    for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++) await limiter.recordFailure(s, t0 + i);
    await expect(status(s, t0 + 20)).resolves.toEqual({ hasFailures: true });
    await limiter.recordFailure(s, t0 + 20);
    await expect(status(s, t0 + 21)).resolves.toBe('blocked');
    await expect(status(limiter.subject('bob', '10.0.0.9'), t0 + 21)).resolves.toEqual({
      hasFailures: false,
    });
    await expect(status(s, t0 + LOGIN_WINDOW_SECONDS)).resolves.toEqual({ hasFailures: false });
  });

  it('starts a fresh window when a failure comes after the old one expired', async () => {
    const s = limiter.subject('carol', '10.0.0.1');
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) await limiter.recordFailure(s, t0);
    await limiter.recordFailure(s, t0 + LOGIN_WINDOW_SECONDS + 1);
    const row = await dataSource.manager.findOneByOrFail(LoginAttemptEntity, { subject: s });
    expect(row).toMatchObject({ failures: 1, windowUnix: t0 + LOGIN_WINDOW_SECONDS + 1 });
  });

  it('counts concurrent failures without losing any', async () => {
    const s = limiter.subject('dave', '10.0.0.1');
    await Promise.all(Array.from({ length: 8 }, () => limiter.recordFailure(s, t0)));
    const row = await dataSource.manager.findOneByOrFail(LoginAttemptEntity, { subject: s });
    expect(row.failures).toBe(8);
  });

  it('clear() forgets the failures', async () => {
    const s = limiter.subject('erin', '10.0.0.1');
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) await limiter.recordFailure(s, t0);
    await limiter.clear(s);
    await expect(status(s, t0 + 1)).resolves.toEqual({ hasFailures: false });
  });
});
