import { evaluateQuota, quotaRoom, subjectProblem, usedFor } from './quota-subjects';

const rule = (name: string, limit: number, subjects: string[]) => ({ name, limit, subjects });
const P = 'size:assets:packages:all';

describe('quota subjects (Forgejo evaluation)', () => {
  it('accepts only the package subjects in rules, naming what is wrong', () => {
    expect(subjectProblem('size:all')).toBeUndefined();
    expect(subjectProblem(P)).toBeUndefined();
    expect(subjectProblem('size:git:lfs')).toMatch(/not supported: Wharf stores only packages/);
    expect(subjectProblem('size:bogus')).toMatch(/unrecognized/);
  });

  it('measures package bytes under the packages subject and its ancestors only', () => {
    expect(usedFor('size:all', 5)).toBe(5);
    expect(usedFor('size:assets:all', 5)).toBe(5);
    expect(usedFor('size:repos:all', 5)).toBe(0);
  });

  it('an owner without groups is unlimited; with groups, some group must match and allow', () => {
    expect(evaluateQuota([], P, 1e12).allowed).toBe(true);
    const small = { name: 'g', rules: [rule('r', 100, ['size:all'])] };
    expect(evaluateQuota([small], P, 100).allowed).toBe(true);
    expect(evaluateQuota([small], P, 101)).toMatchObject({ allowed: false, rule: { name: 'r' } });
    // Any group that allows is enough.
    const big = { name: 'h', rules: [rule('big', 1000, [P])] };
    expect(evaluateQuota([small, big], P, 500).allowed).toBe(true);
    // Within a group every matching rule must hold.
    const both = { name: 'b', rules: [rule('a', 1000, ['size:all']), rule('c', 10, [P])] };
    expect(evaluateQuota([both], P, 11)).toMatchObject({ allowed: false, rule: { name: 'c' } });
    // -1 is no limit; a group with no matching rule refuses, as in Forgejo.
    expect(evaluateQuota([{ name: 'u', rules: [rule('x', -1, [P])] }], P, 1e12).allowed).toBe(true);
    expect(evaluateQuota([{ name: 'e', rules: [] }], P, 0).allowed).toBe(false);
    // A rule over packages does not cover the wider size:all subject.
    expect(evaluateQuota([{ name: 'p', rules: [rule('p', 10, [P])] }], 'size:all', 0).allowed).toBe(
      false,
    );
  });

  it('the room left is the most any group allows', () => {
    expect(quotaRoom([], 10)).toBeUndefined();
    const g1 = { name: 'g1', rules: [rule('a', 100, [P]), rule('b', 50, ['size:all'])] };
    const g2 = { name: 'g2', rules: [rule('c', 80, [P])] };
    expect(quotaRoom([g1, g2], 30)).toBe(50);
    expect(quotaRoom([g1], 70)).toBe(0);
    expect(quotaRoom([{ name: 'u', rules: [rule('x', -1, [P])] }], 70)).toBeUndefined();
  });
});
