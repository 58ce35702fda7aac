import { Catch } from '@nestjs/common';
import { jsonErrorBody, ProtocolErrorFilter } from '@wharf/packages-core';

/** `/api/v1` errors as Forgejo renders them: `{"message": "…"}`. A 500 carries no internals. */
@Catch()
export class ApiErrorFilter extends ProtocolErrorFilter {
  protected readonly render = jsonErrorBody('message');

  constructor() {
    super('api');
  }
}
