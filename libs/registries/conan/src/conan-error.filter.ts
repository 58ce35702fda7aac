import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * Conan routes answer every error as JSON, `{"message": …}` with `Content-Type:
 * application/json` (docs/protocols/conan.md §2): Conan shows the body to the user, and
 * older clients break on another content type (conan-io/conan#6613).
 */
@Catch()
export class ConanErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('conan');
  }

  protected render(res: Response, _status: number, message: string): void {
    res.json({ message });
  }
}
