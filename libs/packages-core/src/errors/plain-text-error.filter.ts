import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from './protocol-error.filter';

/**
 * The default rendering (the `/api/packages` formats that have no body of their own):
 * plain text, as Forgejo answers.
 */
@Catch()
export class PlainTextErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('errors');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.type('text/plain').send(`${message}\n`);
  }
}
