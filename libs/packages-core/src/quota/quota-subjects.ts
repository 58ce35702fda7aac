/**
 * Forgejo's quota subjects and how rules over them are evaluated
 * (docs/protocols/core.md §8). Pure: no database, no Nest.
 *
 * Subjects form a tree (`size:all` ⊃ `size:assets:all` ⊃ `size:assets:packages:all` …).
 * Wharf stores only packages, so every subject it measures counts the same bytes — the
 * sizes of the owner's package files — and rules may name only the package subjects.
 */

/** Every subject Forgejo knows, child → parent. */
const PARENT: Record<string, string | undefined> = {
  'size:all': undefined,
  'size:repos:all': 'size:all',
  'size:repos:public': 'size:repos:all',
  'size:repos:private': 'size:repos:all',
  'size:git:all': 'size:all',
  'size:git:lfs': 'size:git:all',
  'size:assets:all': 'size:all',
  'size:assets:attachments:all': 'size:assets:all',
  'size:assets:attachments:issues': 'size:assets:attachments:all',
  'size:assets:attachments:releases': 'size:assets:attachments:all',
  'size:assets:artifacts': 'size:assets:all',
  'size:assets:packages:all': 'size:assets:all',
  'size:wiki': 'size:all',
};

/** The subject every upload is checked against. */
export const PACKAGES_SUBJECT = 'size:assets:packages:all';

/** The subjects a rule may name in Wharf: the packages subject and the ones that contain it. */
export const PACKAGE_SUBJECTS: readonly string[] = [
  'size:all',
  'size:assets:all',
  PACKAGES_SUBJECT,
];

export function isQuotaSubject(subject: string): boolean {
  return Object.prototype.hasOwnProperty.call(PARENT, subject);
}

/** Why a subject cannot be used in a rule, or undefined when it can. */
export function subjectProblem(subject: string): string | undefined {
  if (!isQuotaSubject(subject)) return `unrecognized limit subject: ${subject}`;
  if (!PACKAGE_SUBJECTS.includes(subject))
    return `limit subject ${subject} is not supported: Wharf stores only packages (use ${PACKAGE_SUBJECTS.join(', ')})`;
  return undefined;
}

/** True when `ruleSubject` is `subject` or one of its ancestors (`size:all` covers everything). */
function covers(ruleSubject: string, subject: string): boolean {
  for (let s: string | undefined = subject; s; s = PARENT[s]) if (s === ruleSubject) return true;
  return false;
}

/**
 * Bytes a subject measures. Only package subjects (and their ancestors) measure anything:
 * there are no repositories, attachments or artifacts in Wharf.
 */
export function usedFor(subject: string, packageBytes: number): number {
  return covers(subject, PACKAGES_SUBJECT) ? packageBytes : 0;
}

export interface QuotaRuleView {
  name: string;
  /** bytes; -1 = no limit */
  limit: number;
  subjects: string[];
}

export interface QuotaGroupView {
  name: string;
  rules: QuotaRuleView[];
}

export type QuotaVerdict =
  { allowed: true } | { allowed: false; rule?: QuotaRuleView; group?: string; used: number };

/**
 * Forgejo's evaluation: an owner without groups is unlimited. Otherwise a group *matches*
 * when one of its rules covers the subject, and allows when every such rule holds
 * (`used` ≤ limit, `-1` always holds); the owner passes when some group matches and
 * allows. A group list where no group matches refuses, as in Forgejo.
 *
 * `used` is what the subject would measure after the action (usage plus an upload's
 * bytes), so an upload that would pass the limit is refused, not the one after it.
 * A rule over several subjects counts each byte once: here they all measure the same.
 */
export function evaluateQuota(
  groups: readonly QuotaGroupView[],
  subject: string,
  packageBytes: number,
): QuotaVerdict {
  if (!groups.length) return { allowed: true };
  const used = usedFor(subject, packageBytes);
  let firstDenial: QuotaVerdict | undefined;
  for (const group of groups) {
    let matched = false;
    let denied: QuotaRuleView | undefined;
    for (const rule of group.rules) {
      if (!rule.subjects.some((s) => covers(s, subject))) continue;
      matched = true;
      const measured = Math.max(...rule.subjects.map((s) => usedFor(s, packageBytes)));
      if (rule.limit !== -1 && measured > rule.limit) {
        denied = rule;
        break;
      }
    }
    if (matched && !denied) return { allowed: true };
    firstDenial ??= { allowed: false, rule: denied, group: group.name, used };
  }
  return firstDenial ?? { allowed: false, used };
}

/** Bytes left before the owner's groups refuse an upload; undefined when nothing limits it. */
export function quotaRoom(
  groups: readonly QuotaGroupView[],
  packageBytes: number,
): number | undefined {
  if (!groups.length) return undefined;
  let best: number | undefined = 0;
  for (const group of groups) {
    const rules = group.rules.filter((r) => r.subjects.some((s) => covers(s, PACKAGES_SUBJECT)));
    if (!rules.length) continue;
    const limited = rules.filter((r) => r.limit !== -1);
    if (!limited.length) return undefined;
    const room = Math.min(...limited.map((r) => r.limit - packageBytes));
    best = Math.max(best, room);
  }
  return Math.max(best, 0);
}
