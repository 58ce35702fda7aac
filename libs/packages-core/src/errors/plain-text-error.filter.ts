import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { RegistryError, RegistryErrorCode } from './registry-error';
import { translateDatabaseError } from '../database/database.service';
import { StorageUnavailableError } from '../storage/blob-storage';

/** Status and public message for any error; a 500 never carries internals. */
export function describeError(err: unknown): {
  status: number;
  message: string;
  error?: RegistryError;
} {
  const translated = translateDatabaseError(err);
  if (translated instanceof RegistryError)
    return { status: translated.status, message: translated.message, error: translated };
  if (translated instanceof StorageUnavailableError) {
    return {
      status: 503,
      message: 'blob storage is unavailable, try again shortly',
      error: new RegistryError(RegistryErrorCode.Unavailable, 'blob storage is unavailable'),
    };
  }
  if (translated instanceof HttpException) {
    const body = translated.getResponse();
    const message =
      typeof body === 'string'
        ? body
        : ((body as { message?: unknown }).message ?? translated.message);
    return {
      status: translated.getStatus(),
      message: Array.isArray(message) ? message.join('; ') : String(message),
    };
  }
  if ((translated as { type?: string })?.type === 'entity.too.large')
    return { status: 413, message: 'request body too large' };
  return { status: 500, message: 'internal server error' };
}

/**
 * The default rendering (the `/api/packages` formats that have no body of their own):
 * plain text, as Forgejo answers. Unknown errors are logged with their stack, never sent.
 */
@Catch()
export class PlainTextErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('errors');

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message } = describeError(err);
    if (status >= 500 && status !== 503)
      this.log.error((err as Error)?.message ?? String(err), (err as Error)?.stack);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).type('text/plain').setHeader('X-Content-Type-Options', 'nosniff');
    res.send(`${message}\n`);
  }
}
