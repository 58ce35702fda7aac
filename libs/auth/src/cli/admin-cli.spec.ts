import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import {
  AccessTokenEntity,
  buildDataSourceOptions,
  Database,
  loadConfig,
  UserEntity,
} from '@wharf/packages-core';
import { CredentialCache } from '../credentials/credential-cache';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokenService } from '../tokens/access-token.service';
import { ADMIN_USAGE, CliUsageError, runAdminCli } from './admin-cli';

describe('admin CLI (SQLite)', () => {
  let dir: string;
  const config = () => loadConfig({ REGISTRY_DATA_DIR: dir, REGISTRY_LOG_LEVEL: 'silent' });
  const run = async (argv: string[], stdin = '') => {
    const lines: string[] = [];
    await runAdminCli(config(), argv, { out: (l) => lines.push(l), readStdin: async () => stdin });
    return lines;
  };
  const withDb = async <T>(fn: (ds: DataSource) => Promise<T>): Promise<T> => {
    const ds = await new DataSource(buildDataSourceOptions(config().database)).initialize();
    try {
      return await fn(ds);
    } finally {
      await ds.destroy();
    }
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates users (migrating a fresh database first) and lists them', async () => {
    expect(await run(['user', 'create', 'ops', '--password', 'ops-password', '--admin'])).toEqual([
      expect.stringMatching(/created site administrator ops/),
    ]);
    await run(
      ['user', 'create', '--username', 'dev', '--password-stdin', '--email', 'dev@example.com'],
      'dev-password\n',
    );
    const list = await run(['user', 'list']);
    expect(list[0].split('\t')).toEqual(['ID', 'NAME', 'EMAIL', 'ADMIN', 'ACTIVE']);
    expect(list.slice(1).map((l) => l.split('\t').slice(1))).toEqual([
      ['ops', 'ops@localhost', 'true', 'true'],
      ['dev', 'dev@example.com', 'false', 'true'],
    ]);
    const dev = await withDb((ds) => ds.manager.findOneByOrFail(UserEntity, { lowerName: 'dev' }));
    await expect(new PasswordHasher().verify('dev-password', dev.passwordHash)).resolves.toBe(true);
  });

  it('sets a password and makes a user a site admin', async () => {
    await run(['user', 'set-password', 'dev', '--password', 'another-password']);
    await run(['user', 'make-admin', 'dev']);
    const dev = await withDb((ds) => ds.manager.findOneByOrFail(UserEntity, { lowerName: 'dev' }));
    expect(dev.isAdmin).toBe(true);
    await expect(new PasswordHasher().verify('another-password', dev.passwordHash)).resolves.toBe(
      true,
    );
  });

  it('creates a token and prints only the token, which then resolves to the user', async () => {
    const [token] = await run([
      'token',
      'create',
      'dev',
      '--scopes',
      'read:package,write:package',
      '--name',
      'ci',
      '--expires-in',
      '30d',
    ]);
    expect(token).toMatch(/^[0-9a-f]{40}$/);
    await withDb(async (ds) => {
      const resolved = await new AccessTokenService(
        new Database(ds),
        new CredentialCache(),
      ).resolve(token);
      expect(resolved?.user.name).toBe('dev');
      expect([...resolved!.scopes].sort()).toEqual(['read:package', 'write:package']);
      const row = await ds.manager.findOneByOrFail(AccessTokenEntity, { name: 'ci' });
      expect(row.expiresUnix! - row.createdUnix).toBe(30 * 86400);
    });
  });

  it('answers mistakes with a usage error that says what is wrong', async () => {
    const fails = (argv: string[], message: RegExp) =>
      expect(run(argv)).rejects.toThrow(
        expect.objectContaining({
          constructor: CliUsageError,
          message: expect.stringMatching(message),
        }),
      );
    await fails(['user', 'create', 'x'], /--password/);
    await fails(['user', 'create', 'dev', '--password', 'dup-password'], /already taken/);
    await fails(['user', 'create', 'y', '--password', 'short'], /at least 8/);
    await fails(['token', 'create', 'dev', '--scopes', 'write:repo'], /unknown scope write:repo/);
    await fails(['token', 'create', 'nobody', '--scopes', 'all'], /does not exist/);
    await fails(['user', 'frobnicate'], /unknown command/);
    await fails(['user', 'list', '--bogus'], /bogus/);
    expect(ADMIN_USAGE).toMatch(/token create/);
  });
});
