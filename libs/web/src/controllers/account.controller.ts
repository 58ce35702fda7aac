import { Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { LoginRateLimiter, UserService } from '@wharf/auth';
import { RegistryError, RegistryErrorCode } from '@wharf/packages-core';
import { CHANGE_PASSWORD_PATH, WebController, WebRoute } from '../http/web.guard';
import {
  clearCookie,
  localPath,
  LOGIN_CSRF_COOKIE,
  readCookie,
  SESSION_COOKIE,
  setCookie,
  Web,
  WebRequestContext,
} from '../http/web-request';
import {
  randomToken,
  SESSION_LIFETIME_SECONDS,
  WebSessionService,
} from '../session/web-session.service';
import { changePasswordPage, loginPage } from '../views/account.view';
import type { UserEntity } from '@wharf/packages-core';

/** Signing in and out, and the password change a new account may be asked for (Forgejo's paths). */
@WebController('user')
export class AccountController {
  constructor(
    private readonly users: UserService,
    private readonly limiter: LoginRateLimiter,
    private readonly sessions: WebSessionService,
  ) {}

  // Forgejo `GET /user/login`: the form, with a double-submit CSRF cookie (no session yet).
  @Get('login')
  @WebRoute({ open: true })
  login(
    @Web() web: WebRequestContext,
    @Query('redirect_to') redirectTo: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): void {
    if (web.session) return res.redirect(303, localPath(redirectTo));
    res.type('html').send(loginPage({}, { csrf: this.loginCsrf(req, res), redirectTo }));
  }

  // Forgejo `POST /user/login`: the same rate limit and password check as HTTP Basic.
  @Post('login')
  @WebRoute({ open: true, loginForm: true })
  async signIn(
    @Web() web: WebRequestContext,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const username = (web.form.get('user_name') ?? '').trim();
    const password = web.form.get('password') ?? '';
    const redirectTo = web.form.get('redirect_to') ?? undefined;
    const refuse = (status: number, error: string): void => {
      res
        .status(status)
        .type('html')
        .send(loginPage({}, { csrf: this.loginCsrf(req, res), username, redirectTo, error }));
    };
    const subject = this.limiter.subject(username, req.ip ?? req.socket.remoteAddress ?? '');
    let hasFailures: boolean;
    try {
      ({ hasFailures } = await this.limiter.assertAllowed(subject));
    } catch (err) {
      if (!(err instanceof RegistryError)) throw err;
      const wait = err.detail?.retryAfterSeconds;
      if (typeof wait === 'number') res.setHeader('Retry-After', String(Math.ceil(wait)));
      return refuse(err.status, err.message);
    }
    const user = username && password ? await this.users.verifyPassword(username, password) : null;
    if (!user) {
      await this.limiter.recordFailure(subject);
      return refuse(401, 'The user name or password is wrong.');
    }
    if (!user.isActive) return refuse(403, 'This account is disabled.');
    if (hasFailures) await this.limiter.clear(subject);
    await this.startSession(req, res, user);
    clearCookie(req, res, LOGIN_CSRF_COOKIE, '/user/login');
    res.redirect(303, user.mustChangePassword ? CHANGE_PASSWORD_PATH : localPath(redirectTo));
  }

  // Forgejo `POST /user/logout`.
  @Post('logout')
  @WebRoute({ open: true, duringPasswordChange: true })
  async signOut(
    @Web() web: WebRequestContext,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    if (web.session) await this.sessions.destroy(web.session.id);
    clearCookie(req, res, SESSION_COOKIE);
    res.redirect(303, '/');
  }

  // Forgejo `GET /user/settings/change_password` (the page `must_change_password` leads to).
  @Get('settings/change_password')
  @WebRoute({ signedIn: true, duringPasswordChange: true })
  changePasswordForm(@Web() web: WebRequestContext, @Res() res: Response): void {
    const user = web.session!.user;
    res.type('html').send(changePasswordPage(this.viewer(web), user.mustChangePassword));
  }

  @Post('settings/change_password')
  @WebRoute({ signedIn: true, duringPasswordChange: true })
  async changePassword(
    @Web() web: WebRequestContext,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const user = web.session!.user;
    const forced = user.mustChangePassword;
    const password = web.form.get('password') ?? '';
    const fail = (message: string): void => {
      res
        .status(400)
        .type('html')
        .send(changePasswordPage(this.viewer(web), forced, message));
    };
    if (!forced) {
      const current = await this.users.verifyPassword(
        user.name,
        web.form.get('old_password') ?? '',
      );
      if (!current) return fail('The current password is wrong.');
    }
    if (password !== (web.form.get('retype') ?? '')) return fail('The two new passwords differ.');
    if (await this.users.verifyPassword(user.name, password))
      return fail('Choose a password different from the current one.');
    try {
      await this.users.update(user, { password, mustChangePassword: false });
    } catch (err) {
      if (err instanceof RegistryError && err.code === RegistryErrorCode.InvalidArgument)
        return fail(err.message);
      throw err;
    }
    // Every other browser signed in with the old password is signed out; this one starts afresh.
    await this.sessions.destroyAllOf(user.id);
    await this.startSession(req, res, user);
    res.redirect(303, '/');
  }

  private viewer(web: WebRequestContext) {
    return { user: web.session?.user, csrf: web.session?.csrfToken };
  }

  private async startSession(req: Request, res: Response, user: UserEntity): Promise<void> {
    const { token } = await this.sessions.create(user);
    setCookie(req, res, SESSION_COOKIE, token, { maxAgeSeconds: SESSION_LIFETIME_SECONDS });
  }

  /** The login form's token: the cookie's if the browser has one, else a new one. */
  private loginCsrf(req: Request, res: Response): string {
    const existing = readCookie(req, LOGIN_CSRF_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = randomToken();
    setCookie(req, res, LOGIN_CSRF_COOKIE, token, { path: '/user/login', maxAgeSeconds: 3600 });
    return token;
  }
}
