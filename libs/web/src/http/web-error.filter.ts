import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeError, RegistryError } from '@wharf/packages-core';
import { errorPage } from '../views/error.view';
import { setPageHeaders, webContext, WebRedirect } from './web-request';

/** Errors of page routes as HTML pages (and redirects thrown by the guard as 303s). */
@Catch()
export class WebErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Web');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    if (res.headersSent) {
      res.destroy();
      return;
    }
    setPageHeaders(res);
    if (err instanceof WebRedirect) {
      res.redirect(303, err.location);
      return;
    }
    const { status, message } = describeError(err);
    if (status >= 500 && status !== 503)
      this.log.error((err as Error)?.message ?? String(err), (err as Error)?.stack);
    const retryAfter = err instanceof RegistryError ? err.detail?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    const web = webContext(req);
    res
      .status(status)
      .type('html')
      .send(errorPage({ user: web.session?.user, csrf: web.session?.csrfToken }, status, message));
  }
}
