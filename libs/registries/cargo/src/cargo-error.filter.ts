import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * cargo's error body (Registry Web API): `{"errors":[{"detail":"…"}]}`; cargo prints each
 * `detail` to the user, whatever the status (docs/protocols/cargo.md §2).
 */
@Catch()
export class CargoErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('cargo');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.json({ errors: [{ detail: message }] });
  }
}
