import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * Vagrant routes answer errors as Forgejo and Vagrant Cloud do, `{"errors":["…"]}`
 * (docs/protocols/vagrant.md §2): Vagrant prints that body when a request fails.
 */
@Catch()
export class VagrantErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('vagrant');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.json({ errors: [message] });
  }
}
