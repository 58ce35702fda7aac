import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * Supermarket's error body, `{"error_messages":["…"]}` (docs/protocols/chef.md §2):
 * `knife supermarket share` prints the first message, and recognises a version already
 * shared by its "Version already exists" wording.
 */
@Catch()
export class ChefErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('chef');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.json({ error_messages: [message] });
  }
}
