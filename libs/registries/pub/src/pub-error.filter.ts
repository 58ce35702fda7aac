import { Catch } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { ProtocolErrorFilter } from '@wharf/packages-core';
import { PUB_JSON } from './pub.documents';

/**
 * pub routes answer errors in the hosted-pub v2 shape, `{"error":{"code","message"}}`
 * with `application/vnd.pub.v2+json` (docs/protocols/pub.md §2): `dart pub` prints
 * `message`.
 */
@Catch()
export class PubErrorFilter extends ProtocolErrorFilter {
  constructor() {
    super('pub');
  }

  protected render(res: Response, status: number, message: string): void {
    res
      .type(PUB_JSON)
      .send(JSON.stringify({ error: { code: STATUS_CODES[status] ?? String(status), message } }));
  }
}
