import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '@wharf/packages-core';

/** `/api/v1` errors as Forgejo renders them: `{"message": "…"}`. A 500 carries no internals. */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message } = describeError(err);
    if (status >= 500 && status !== 503)
      this.log.error((err as Error)?.message ?? String(err), (err as Error)?.stack);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ message });
  }
}
