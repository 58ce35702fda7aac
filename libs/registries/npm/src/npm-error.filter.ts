import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '@wharf/packages-core';

/**
 * npm routes answer errors as `{"error": "…"}` (npm.md §2): the npm CLI prints that field
 * ("npm error 400 Bad Request - PUT …/pkg - <error>") and shows nothing useful for plain text.
 */
@Catch()
export class NpmErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('npm');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message } = describeError(err);
    if (status >= 500 && status !== 503)
      this.log.error((err as Error)?.message ?? String(err), (err as Error)?.stack);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).setHeader('X-Content-Type-Options', 'nosniff');
    res.json({ error: message });
  }
}
