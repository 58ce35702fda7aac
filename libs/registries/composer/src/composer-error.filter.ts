import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * Composer routes answer errors as Forgejo does, `{"errors":[{"status":…,"message":…}]}`
 * (docs/protocols/composer.md §2): scripts that PUT archives with curl read the message there.
 */
@Catch()
export class ComposerErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('composer');
  }

  protected render(res: Response, status: number, message: string): void {
    res.json({ errors: [{ status, message }] });
  }
}
