import { ArgumentsHost, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { describeError } from './describe-error';
import { RegistryError } from './registry-error';

/**
 * What every protocol's exception filter does alike: map the error to a status and a
 * public message, log unexpected failures with their stack (never sent), cut a response
 * already streaming. A subclass only renders the body its clients parse.
 */
export abstract class ProtocolErrorFilter implements ExceptionFilter {
  private readonly log: Logger;

  protected constructor(context: string) {
    this.log = new Logger(context);
  }

  /** Writes the error body (status, nosniff and Retry-After are already set). */
  protected abstract render(
    res: Response,
    status: number,
    message: string,
    err: unknown,
    req: Request,
  ): void;

  /** Status and public message; a protocol with error types of its own maps them here. */
  protected describe(err: unknown): { status: number; message: string } {
    return describeError(err);
  }

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const { status, message } = this.describe(err);
    if (status >= 500 && status !== 503) {
      this.log.error((err as Error)?.message ?? String(err), (err as Error)?.stack);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).setHeader('X-Content-Type-Options', 'nosniff');
    const retryAfter = err instanceof RegistryError ? err.detail?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
    this.render(res, status, message, err, http.getRequest<Request>());
  }
}

/** `{"<field>": "<message>"}` bodies (npm and ChartMuseum use `error`, Forgejo's API `message`). */
export function jsonErrorBody(field: string) {
  return (res: Response, _status: number, message: string): void => {
    res.json({ [field]: message });
  };
}
