import { Catch } from '@nestjs/common';
import { jsonErrorBody, ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * npm routes answer errors as `{"error": "…"}` (docs/protocols/npm.md §2): the npm CLI prints that field
 * ("npm error 400 Bad Request - PUT …/pkg - <error>") and shows nothing useful for plain text.
 */
@Catch()
export class NpmErrorFilter extends ProtocolErrorFilter {
  protected readonly render = jsonErrorBody('error');

  constructor() {
    super('npm');
  }
}
