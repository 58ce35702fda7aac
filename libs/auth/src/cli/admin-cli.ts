import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import {
  AppConfig,
  buildDataSourceOptions,
  Database,
  nowUnix,
  parseDuration,
  RegistryError,
  runMigrations,
} from '@wharf/packages-core';
import { UserService } from '../owners/user.service';
import { CredentialCache } from '../credentials/credential-cache';
import { OwnerCache } from '../owners/owner-cache';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokenService } from '../tokens/access-token.service';
import { parseScopes, ACCEPTED_SCOPE_NAMES } from '../tokens/token-scopes';

export const ADMIN_USAGE = `usage: wharf admin <command>
  user create <name> --password <pw> | --password-stdin [--email <e>] [--admin] [--must-change-password] [--full-name <n>]
  user list
  user set-password <name> --password <pw> | --password-stdin
  user make-admin <name>
  token create <user> --scopes <${ACCEPTED_SCOPE_NAMES.join('|')},…> [--name <n>] [--expires-in <duration, e.g. 30d>]
The token is printed once, alone on stdout.`;

/** A mistake in the command line: printed with the usage, exit status 2. */
export class CliUsageError extends Error {}

export interface CliIo {
  out(line: string): void;
  /** Whole standard input, for --password-stdin. */
  readStdin(): Promise<string>;
}

const OPTIONS = {
  username: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  email: { type: 'string' },
  'full-name': { type: 'string' },
  admin: { type: 'boolean' },
  'must-change-password': { type: 'boolean' },
  scopes: { type: 'string' },
  name: { type: 'string' },
  'expires-in': { type: 'string' },
} as const;

/**
 * Operator commands for a registry without HTTP access (first admin, lost password,
 * a token for CI), on the same database and rules as the server.
 */
export async function runAdminCli(config: AppConfig, argv: string[], io: CliIo): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [group, command, positionalName] = positionals;
  const name = positionalName ?? values.username;
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    if (config.migrateOnStart) await runMigrations(dataSource);
    const db = new Database(dataSource);
    // A one-shot process: its caches die with it; the servers' expire within their TTL.
    const credentials = new CredentialCache();
    const users = new UserService(db, new PasswordHasher(), credentials, new OwnerCache());
    const tokens = new AccessTokenService(db, credentials);
    const password = async () => {
      if (values['password-stdin']) return (await io.readStdin()).replace(/\r?\n$/, '');
      if (values.password === undefined)
        throw new CliUsageError('--password or --password-stdin is required');
      return values.password;
    };
    const requireName = () => {
      if (!name) throw new CliUsageError('a user name is required');
      return name;
    };
    switch (`${group ?? ''} ${command ?? ''}`) {
      case 'user create': {
        const user = await users.create({
          username: requireName(),
          password: await password(),
          email: values.email,
          fullName: values['full-name'],
          isAdmin: values.admin ?? false,
          mustChangePassword: values['must-change-password'] ?? false,
        });
        io.out(
          `created ${user.isAdmin ? 'site administrator' : 'user'} ${user.name} (id ${user.id})`,
        );
        return;
      }
      case 'user list': {
        const [all] = await users.list(0, 1_000_000);
        io.out(['ID', 'NAME', 'EMAIL', 'ADMIN', 'ACTIVE'].join('\t'));
        for (const u of all) io.out([u.id, u.name, u.email, u.isAdmin, u.isActive].join('\t'));
        return;
      }
      case 'user set-password':
      case 'user change-password': {
        await users.update(await users.requireUser(requireName()), { password: await password() });
        io.out(`password of ${name} changed`);
        return;
      }
      case 'user make-admin': {
        await users.update(await users.requireUser(requireName()), { isAdmin: true });
        io.out(`${name} is now a site administrator`);
        return;
      }
      case 'token create': {
        const user = await users.requireUser(requireName());
        const scopes = parseScopes((values.scopes ?? '').split(',').filter(Boolean));
        if ('unknown' in scopes) throw new CliUsageError(`unknown scope ${scopes.unknown}`);
        if (!scopes.scopes.length) throw new CliUsageError('--scopes is required');
        const ttl =
          values['expires-in'] === undefined ? undefined : parseDuration(values['expires-in']);
        if (ttl === null || ttl === 0)
          throw new CliUsageError('--expires-in must be a duration such as 30d or 12h');
        const { token } = await tokens.create(user.id, {
          name: values.name ?? `cli-${nowUnix()}`,
          scopes: scopes.scopes,
          expiresUnix: ttl === undefined ? null : nowUnix() + ttl,
        });
        io.out(token);
        return;
      }
      default:
        throw new CliUsageError(`unknown command: ${positionals.join(' ') || '(none)'}`);
    }
  } catch (err) {
    // The same rule violations the API answers with 4xx are usage-level errors here.
    if (err instanceof RegistryError && err.status < 500) throw new CliUsageError(err.message);
    throw err;
  } finally {
    await dataSource.destroy();
  }
}
