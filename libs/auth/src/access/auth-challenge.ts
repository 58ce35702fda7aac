import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AppConfig, RegistryError, RegistryErrorCode } from '@wharf/packages-core';

/** The default challenge, for `/api/packages/…` and `/api/v1`. */
export const BASIC_CHALLENGE = 'Basic realm="Wharf"';

export type ChallengeFactory = (req: Request, config: AppConfig) => string;

const AUTH_CHALLENGE = 'wharf:auth-challenge';

/**
 * The `WWW-Authenticate` challenge a protocol answers a 401 with, on a controller or a
 * handler. The container registry sets its Bearer token-service challenge here; formats
 * that say nothing get {@link BASIC_CHALLENGE}.
 */
export const AuthChallenge = (challenge: string | ChallengeFactory) =>
  SetMetadata(AUTH_CHALLENGE, typeof challenge === 'string' ? () => challenge : challenge);

/**
 * Sets the route's challenge and returns the 401 to throw. `setHeader` replaces, so a
 * response carries exactly one challenge — a second one (e.g. Basic next to Bearer)
 * breaks clients such as Renovate.
 */
export function unauthorized(
  context: ExecutionContext,
  reflector: Reflector,
  config: AppConfig,
  message: string,
): RegistryError {
  const http = context.switchToHttp();
  const factory = reflector.getAllAndOverride<ChallengeFactory | undefined>(AUTH_CHALLENGE, [
    context.getHandler(),
    context.getClass(),
  ]);
  http
    .getResponse<Response>()
    .setHeader(
      'WWW-Authenticate',
      (factory ?? (() => BASIC_CHALLENGE))(http.getRequest<Request>(), config),
    );
  return new RegistryError(RegistryErrorCode.Unauthorized, message);
}

/** Authentication errors get the challenge too when they are 401s; others pass unchanged. */
export function withChallenge(
  err: unknown,
  context: ExecutionContext,
  reflector: Reflector,
  config: AppConfig,
): unknown {
  if (err instanceof RegistryError && err.code === RegistryErrorCode.Unauthorized) {
    return unauthorized(context, reflector, config, err.message);
  }
  return err;
}
