import { HttpException } from '@nestjs/common';
import { translateDatabaseError } from '../database/database.service';
import { StorageFullError, StorageUnavailableError } from '../storage/blob-storage';
import { RegistryError, RegistryErrorCode } from './registry-error';

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
  if (translated instanceof StorageFullError) {
    const error = new RegistryError(
      RegistryErrorCode.InsufficientStorage,
      'the registry has no storage space left; nothing was stored (reads still work — try again once space is freed)',
    );
    return { status: 507, message: error.message, error };
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
