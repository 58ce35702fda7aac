import { Injectable } from '@nestjs/common';
import {
  AccessTokenService,
  invalidCredentials,
  LoginRateLimiter,
  TokenScope,
  UserService,
} from '@wharf/auth';
import { RegistryError } from '@wharf/packages-core';
import { isRecord } from './npm.metadata';

/** What npm stores after `npm login` (npm-profile's couch login reads `token`). */
export interface NpmLoginResult {
  ok: true;
  id: string;
  rev: string;
  token: string;
}

/**
 * `npm login` / `npm adduser` over the legacy CouchDB route (`PUT /-/user/org.couchdb.user:<name>`):
 * the password is verified like a Basic sign-in (same rate limit), and a new access token
 * with the package scopes is the answer. No account is ever created here.
 */
@Injectable()
export class NpmLoginService {
  constructor(
    private readonly users: UserService,
    private readonly tokens: AccessTokenService,
    private readonly limiter: LoginRateLimiter,
  ) {}

  async login(pathUser: string, body: unknown, address: string): Promise<NpmLoginResult> {
    if (!isRecord(body) || typeof body.name !== 'string' || typeof body.password !== 'string') {
      throw RegistryError.invalid('the login document needs "name" and "password"');
    }
    if (pathUser !== `org.couchdb.user:${body.name}`) {
      throw RegistryError.invalid(
        `the login document is for ${body.name}, but the URL names ${pathUser}`,
      );
    }
    const subject = this.limiter.subject(body.name, address);
    const { hasFailures } = await this.limiter.assertAllowed(subject);
    const user = await this.users.verifyPassword(body.name, body.password);
    if (!user) {
      await this.limiter.recordFailure(subject);
      throw invalidCredentials('invalid user name or password');
    }
    if (!user.isActive) throw invalidCredentials('this account is disabled');
    if (hasFailures) await this.limiter.clear(subject);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const { token } = await this.tokens.create(user.id, {
      name: `npm login ${stamp} ${Math.random().toString(36).slice(2, 8)}`,
      scopes: [TokenScope.ReadPackage, TokenScope.WritePackage],
    });
    return { ok: true, id: `org.couchdb.user:${user.name}`, rev: '1-wharf', token };
  }
}
