import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Principal } from '@wharf/auth';
import type { WebSession } from '../session/web-session.service';

/** What the web guard found out about a page request, for the handler and the views. */
export interface WebRequestContext {
  session?: WebSession;
  /** The signed-in user as the access policy sees them (a session has the account's full rights). */
  principal?: Principal;
  /** The parsed form of a POST. */
  form: URLSearchParams;
  /** The login form's double-submit token (anonymous requests). */
  loginCsrf?: string;
  /** The path and query asked for (for the sign-in redirect). */
  path: string;
}

const KEY = Symbol('wharf.web');
type WithWeb = Request & { [KEY]?: WebRequestContext };

export function webContext(req: Request): WebRequestContext {
  return ((req as WithWeb)[KEY] ??= { form: new URLSearchParams(), path: req.originalUrl });
}

/** The page request's context (set by WebGuard). */
export const Web = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  webContext(ctx.switchToHttp().getRequest<Request>()),
);

export const SESSION_COOKIE = 'wharf_session';
export const LOGIN_CSRF_COOKIE = 'wharf_login_csrf';

/** Cookies of a request (no cookie parser in the app: this is the only reader). */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** HttpOnly, SameSite=Lax, Secure when the request came over HTTPS (as the proxy says, if trusted). */
export function setCookie(
  req: Request,
  res: Response,
  name: string,
  value: string,
  options: { maxAgeSeconds?: number; path?: string } = {},
): void {
  res.cookie(name, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: options.path ?? '/',
    ...(options.maxAgeSeconds !== undefined ? { maxAge: options.maxAgeSeconds * 1000 } : {}),
  });
}

export function clearCookie(req: Request, res: Response, name: string, path = '/'): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: req.secure, path });
}

/** A local path to go back to after signing in; anything else (other sites, `//host`) is `/`. */
export function localPath(target: string | null | undefined): string {
  // Browsers drop tabs and newlines and read `\` as `/`: `/\t/evil` would be `//evil`.
  const unsafe = (c: string) => c === '\\' || c.charCodeAt(0) < 0x20;
  if (!target || !target.startsWith('/') || target.startsWith('//') || [...target].some(unsafe))
    return '/';
  return target;
}

/** Thrown to answer with a redirect (303: the browser follows with a GET). */
export class WebRedirect extends Error {
  constructor(readonly location: string) {
    super(`redirect to ${location}`);
  }
}

/** Headers on every page: no inline script, no framing, no sniffing, no referrer leaks. */
export function setPageHeaders(res: Response): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
}
