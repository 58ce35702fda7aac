import type { Response } from 'express';
import { RegistryError } from '@wharf/packages-core';

export interface FormOutcome {
  message?: string;
  error?: string;
}

/**
 * Runs a form's action and answers with its page: 201 and the action's outcome, or the
 * status of a refusal (4xx) with its reason on the same page, the form still at hand.
 */
export async function answerForm<T extends object>(
  res: Response,
  page: (outcome: Partial<T> & FormOutcome) => Promise<string>,
  action: () => Promise<T>,
): Promise<void> {
  let outcome: T;
  try {
    outcome = await action();
  } catch (err) {
    if (!(err instanceof RegistryError) || err.status >= 500) throw err;
    res
      .status(err.status)
      .type('html')
      .send(await page({ error: err.message } as Partial<T> & FormOutcome));
    return;
  }
  res
    .status(201)
    .type('html')
    .send(await page(outcome));
}
