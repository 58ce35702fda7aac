import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';
import { STATUS_CODES } from 'node:http';

/**
 * conda routes answer errors as Forgejo does, `{"reason":"<status text>","message":"…"}`
 * (docs/protocols/conda.md §2); conda prints the status and the URL.
 */
@Catch()
export class CondaErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('conda');
  }

  protected render(res: Response, status: number, message: string): void {
    res.json({ reason: STATUS_CODES[status] ?? 'Error', message });
  }
}
