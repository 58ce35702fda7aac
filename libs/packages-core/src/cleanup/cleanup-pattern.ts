import { RE2JS } from 're2js';

/** Longest pattern a rule may hold (the column is 1024 characters). */
export const MAX_PATTERN_LENGTH = 1024;

/** A compiled cleanup pattern: matches a whole string, case-insensitively, as Forgejo's `(?i)\A…\z`. */
export type PatternMatcher = (text: string) => boolean;

/**
 * Compiles a user's cleanup pattern with RE2's linear-time engine (re2js): no
 * backtracking, so a hostile pattern such as `(a+)+$` cannot hang the cleanup job.
 * RE2 syntax is Go's, which Forgejo uses, so the same patterns mean the same there and
 * here. Throws a message naming the problem for a pattern RE2 refuses (backreferences,
 * lookaround…). An empty pattern is `undefined`: no constraint.
 */
export function compileCleanupPattern(pattern: string): PatternMatcher | undefined {
  if (pattern === '') return undefined;
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new Error(`the pattern is longer than ${MAX_PATTERN_LENGTH} characters`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    throw new Error((err as Error).message);
  }
  return (text) => compiled.matches(text);
}
