import { Controller, Get, HttpCode, Module, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import http from 'node:http';
import { Readable } from 'node:stream';
import { CurrentOwner, CurrentPrincipal, PackageAccess, Principal } from '@wharf/auth';
import {
  IngestService,
  PackageQueryService,
  PackageService,
  PackageType,
  UserEntity,
} from '@wharf/packages-core';
import { Backend } from './support/backends';
import { startTestApp, TestApp } from './support/test-app';

/**
 * A test-only format route behind the package guard, at `/api/packages/:owner/test/…`:
 * stands in for the formats in the permission matrix, and proves an upload body still
 * arrives intact when the guard has done its (asynchronous) work first.
 */
@Controller('api/packages/:owner/test')
export class ProbeController {
  @Get('probe')
  @PackageAccess('read')
  read(@CurrentOwner() owner: UserEntity, @CurrentPrincipal() principal?: Principal) {
    return { owner: owner.name, user: principal?.user.name ?? null };
  }

  @Put('probe')
  @HttpCode(201)
  @PackageAccess('write')
  async write(@Req() req: Request, @CurrentOwner() owner: UserEntity) {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    return { owner: owner.name, bytes };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

export interface Reply {
  status: number;
  /** Every header line as sent, so duplicates can be counted. */
  raw: [string, string][];
  text: string;
  json<T = any>(): T;
  header(name: string): string[];
}

/** One HTTP request with raw response headers (fetch and supertest merge duplicate headers). */
export function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string | Buffer | object,
): Promise<Reply> {
  const payload =
    body === undefined
      ? undefined
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        headers: {
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': String(payload.length) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            raw.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            raw,
            text,
            json: () => JSON.parse(text),
            header: (name) => raw.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The site admin the identity suites start the app with, and the env that creates it. */
export const SITE_ADMIN = basic('root', 'root-password-1');
export const SITE_ADMIN_ENV = {
  REGISTRY_ADMIN_USERNAME: 'root',
  REGISTRY_ADMIN_PASSWORD: 'root-password-1',
};

/** Starts the app with the site admin and creates `names` as users with `password`. */
export async function startWithUsers(
  backend: Backend,
  names: string[],
  password: string,
): Promise<TestApp> {
  const t = await startTestApp(backend, SITE_ADMIN_ENV);
  for (const username of names) {
    const res = await call(t.url, 'POST', '/api/v1/admin/users', SITE_ADMIN, {
      username,
      email: `${username}@example.com`,
      password,
    });
    if (res.status !== 201) throw new Error(`creating ${username} answered ${res.status}`);
  }
  return t;
}

/** Publishes a one-file generic package version straight through the core services. */
export async function publish(
  t: TestApp,
  owner: UserEntity,
  name: string,
  version: string,
  creatorId = owner.id,
): Promise<void> {
  const ingest = t.app.get(IngestService);
  const staged = await ingest.ingest(Readable.from([Buffer.from(`${name}@${version}`)]));
  await t.app
    .get(PackageService)
    .createVersionWithFile(
      { ownerId: owner.id, type: PackageType.Generic, name },
      { version, creatorId },
      { name: `${name}-${version}.txt`, blob: staged },
    );
}

export async function ensurePublished(
  t: TestApp,
  owner: UserEntity,
  name: string,
  version: string,
): Promise<void> {
  if (
    !(await t.app
      .get(PackageQueryService)
      .findVersionByName(owner.id, PackageType.Generic, name, version))
  ) {
    await publish(t, owner, name, version);
  }
}
