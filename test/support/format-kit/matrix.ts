import {
  AccessMode,
  appliesTo,
  expectedOutcome,
  KIT_OWNERS,
  KitCaller,
  KitOwner,
  Outcome,
} from './access-model';
import type { KitResponse } from './http';

/** One cell of the matrix: `<caller> <mode> <owner>`. */
export const cellName = (caller: KitCaller, mode: AccessMode, owner: KitOwner) =>
  `${caller.name} ${mode === 'read' ? 'downloads from' : 'uploads to'} ${owner.name}`;

/** How an outcome looks on the wire: the status, and the single challenge of a 401. */
export function expectedCell(outcome: Outcome, success: number, challenge: string): string {
  switch (outcome) {
    case 'allowed':
      return String(success);
    case 'unauthenticated':
      return `401 ${JSON.stringify([challenge])}`;
    case 'hidden':
      return '404';
    case 'forbidden':
      return '403';
  }
}

/**
 * How a response looks in the same terms: a 401 lists every challenge it carries, so two
 * challenges (or none) never match; any other status lists none, since a challenge there
 * is no 401's business.
 */
export function actualCell(res: KitResponse): string {
  const challenges = res.all('www-authenticate');
  if (res.status === 401) return `401 ${JSON.stringify(challenges)}`;
  return challenges.length ? `${res.status} ${JSON.stringify(challenges)}` : String(res.status);
}

export interface MatrixOptions {
  mode: AccessMode;
  callers: KitCaller[];
  success: number;
  challenge: string;
  /** Bare requests are always challenged (container registry). */
  bareChallenged: boolean;
}

/** The expected table, one entry per cell, in the order the kit runs them. */
export function expectedMatrix(o: MatrixOptions): Record<string, string> {
  const table: Record<string, string> = {};
  for (const owner of KIT_OWNERS)
    for (const caller of o.callers.filter((c) => appliesTo(c, owner))) {
      const outcome =
        caller.bare && o.bareChallenged
          ? 'unauthenticated'
          : expectedOutcome(caller, owner, o.mode);
      table[cellName(caller, o.mode, owner)] = expectedCell(outcome, o.success, o.challenge);
    }
  return table;
}

/** The cells of {@link expectedMatrix}, for the kit to run one by one. */
export function matrixCells(callers: KitCaller[]): { owner: KitOwner; caller: KitCaller }[] {
  return KIT_OWNERS.flatMap((owner) =>
    callers.filter((c) => appliesTo(c, owner)).map((caller) => ({ owner, caller })),
  );
}
