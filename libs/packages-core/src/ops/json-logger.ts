import { LoggerService } from '@nestjs/common';
import type { LogLevel } from '../config/config';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * One JSON object per line on stdout, for log collectors. Callers never pass secrets;
 * request logs carry method, path (no query string) and status, never headers.
 */
export class JsonLogger implements LoggerService {
  constructor(private readonly level: LogLevel = 'info') {}

  private write(
    level: LogLevel,
    message: unknown,
    context?: string,
    extra?: Record<string, unknown>,
  ): void {
    if (RANK[level] < RANK[this.level]) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      ...(context ? { context } : {}),
    };
    if (message && typeof message === 'object' && !(message instanceof Error))
      Object.assign(entry, message);
    else entry.msg = message instanceof Error ? message.message : String(message);
    Object.assign(entry, extra);
    process.stdout.write(`${JSON.stringify(entry)}\n`);
  }

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const stack = context ? stackOrContext : undefined;
    this.write(
      'error',
      message,
      context ?? (stack ? undefined : stackOrContext),
      stack ? { stack } : undefined,
    );
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
}
