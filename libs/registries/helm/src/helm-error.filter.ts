import { Catch } from '@nestjs/common';
import { jsonErrorBody, ProtocolErrorFilter } from '@wharf/packages-core';

/**
 * Helm routes answer errors as ChartMuseum does, `{"error": "…"}`: cm-push parses the
 * body as JSON and otherwise reports "could not properly parse response JSON" (docs/protocols/helm.md §8).
 */
@Catch()
export class HelmErrorFilter extends ProtocolErrorFilter {
  protected readonly render = jsonErrorBody('error');

  constructor() {
    super('helm');
  }
}
