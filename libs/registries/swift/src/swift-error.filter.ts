import { Catch } from '@nestjs/common';
import type { Response } from 'express';
import { describeError, ProtocolErrorFilter } from '@wharf/packages-core';
import { UnsupportedApiVersionError } from './swift.metadata';

/**
 * Swift registry errors are RFC 7807 problems with `Content-Version: 1`
 * (docs/protocols/swift.md §2); SwiftPM shows the `detail`.
 */
@Catch()
export class SwiftErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('swift');
  }

  protected override describe(err: unknown): { status: number; message: string } {
    const described = describeError(err);
    return err instanceof UnsupportedApiVersionError ? { ...described, status: 415 } : described;
  }

  protected render(res: Response, status: number, message: string): void {
    res.setHeader('Content-Version', '1');
    res.type('application/problem+json').send(JSON.stringify({ status, detail: message }));
  }
}
