import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { describeError } from '@wharf/packages-core';

/**
 * Helm routes answer errors as ChartMuseum does, `{"error": "…"}`: cm-push parses the
 * body as JSON and otherwise reports "could not properly parse response JSON" (helm.md §8).
 */
@Catch()
export class HelmErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('helm');

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
