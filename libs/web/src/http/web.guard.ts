import {
  applyDecorators,
  CanActivate,
  Controller,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { AppConfig, readBounded, RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { sameToken } from '../session/web-session.service';
import { WebSessionService } from '../session/web-session.service';
import {
  LOGIN_CSRF_COOKIE,
  readCookie,
  SESSION_COOKIE,
  setPageHeaders,
  webContext,
  WebRedirect,
} from './web-request';
import { WebErrorFilter } from './web-error.filter';

export interface WebRouteOptions {
  /** Reachable without signing in even when REGISTRY_REQUIRE_SIGNIN is set (the sign-in page). */
  open?: boolean;
  /** Reachable while the user must still change their password. */
  duringPasswordChange?: boolean;
  /** Needs a signed-in user (anonymous visitors are sent to sign in). */
  signedIn?: boolean;
  /** Only site administrators. */
  admin?: boolean;
  /** A POST signed by the login form's double-submit cookie rather than a session. */
  loginForm?: boolean;
}

const WEB_ROUTE = 'wharf:web-route';
export const CHANGE_PASSWORD_PATH = '/user/settings/change_password';
const FORM_LIMIT = 64 * 1024;

/** A controller of pages: the session guard, the CSRF checks and HTML errors. */
export function WebController(path = '') {
  return applyDecorators(Controller(path), UseGuards(WebGuard), UseFilters(WebErrorFilter));
}

export function WebRoute(options: WebRouteOptions) {
  return SetMetadata(WEB_ROUTE, options);
}

/**
 * Resolves the session cookie, parses and checks forms, and applies the site's sign-in
 * rules before a page handler runs. POSTs must come from this site (Origin, else Referer)
 * and carry the session's CSRF token (the login form: its double-submit cookie).
 */
@Injectable()
export class WebGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly sessions: WebSessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const options =
      this.reflector.getAllAndOverride<WebRouteOptions | undefined>(WEB_ROUTE, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const req = context.switchToHttp().getRequest<Request>();
    setPageHeaders(context.switchToHttp().getResponse<Response>());
    const web = webContext(req);
    web.session = await this.sessions.resolve(readCookie(req, SESSION_COOKIE));
    if (web.session) web.principal = { user: web.session.user, via: 'session' };
    if (req.method === 'POST') await this.checkForm(req, options);
    const user = web.session?.user;
    if (
      !user &&
      (options.signedIn || options.admin || (this.config.requireSignin && !options.open))
    )
      throw new WebRedirect(`/user/login?redirect_to=${encodeURIComponent(req.originalUrl)}`);
    if (user?.mustChangePassword && !options.duringPasswordChange && !options.open)
      throw new WebRedirect(CHANGE_PASSWORD_PATH);
    if (options.admin && !user?.isAdmin)
      throw new RegistryError(RegistryErrorCode.Forbidden, 'only site administrators may see this');
    return true;
  }

  private async checkForm(req: Request, options: WebRouteOptions): Promise<void> {
    this.assertSameOrigin(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded')
      throw RegistryError.invalid('forms are sent as application/x-www-form-urlencoded');
    const web = webContext(req);
    web.form = new URLSearchParams((await readBounded(req, FORM_LIMIT)).toString('utf8'));
    const sent = web.form.get('_csrf') ?? '';
    const expected = options.loginForm
      ? readCookie(req, LOGIN_CSRF_COOKIE)
      : web.session?.csrfToken;
    if (!expected || !sameToken(sent, expected))
      throw new RegistryError(
        RegistryErrorCode.Forbidden,
        'the form expired or did not come from this site; reload the page and try again',
      );
  }

  /** A cross-site form post names another origin (or none): refused before anything else. */
  private assertSameOrigin(req: Request): void {
    const origin = req.headers.origin ?? originOf(req.headers.referer);
    const own = new Set([`${req.protocol}://${req.get('host')}`, originOf(this.config.baseUrl)]);
    if (!origin || !own.has(origin))
      throw new RegistryError(
        RegistryErrorCode.Forbidden,
        'cross-site form submissions are refused (Origin or Referer must be this site)',
      );
  }
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
