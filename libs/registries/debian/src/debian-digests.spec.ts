import { randomBytes } from 'node:crypto';
import { DigestPart, digestParts } from './debian-digests';
import { hashFile } from './debian.documents';

describe('digestParts', () => {
  const part = (n = 1000): DigestPart => ({
    id: {},
    pieces: [randomBytes(n), randomBytes(n >> 1)],
  });
  const whole = (parts: DigestPart[], tail: Buffer[] = []) =>
    hashFile([...parts.flatMap((p) => p.pieces), ...tail]);

  it('gives the digests of the parts and the tail joined, after any change, resuming where it can', () => {
    let parts = Array.from({ length: 8 }, () => part());
    const tail = [randomBytes(40)];
    let run = digestParts(parts, tail);
    expect(run.hashed).toEqual(whole(parts, tail));
    const steps: ((p: DigestPart[]) => DigestPart[])[] = [
      (p) => p.map((x, i) => (i === 5 ? part(3000) : x)), // one replaced
      (p) => [...p, part()], // one appended
      (p) => p.filter((_, i) => i !== 2), // one removed
      (p) => [part(), ...p], // one in front
      (p) => p, // nothing changed
      () => [], // all gone
    ];
    for (const step of steps) {
      parts = step(parts);
      const tail2 = [randomBytes(40)];
      run = digestParts(parts, tail2, run.checkpoints);
      expect(run.hashed).toEqual(whole(parts, tail2));
    }
  });

  it('keeps the states of the unchanged prefix, and never updates them', () => {
    const parts = Array.from({ length: 4 }, () => part());
    const first = digestParts(parts, []);
    const changed = parts.map((x, i) => (i === 3 ? part() : x));
    const second = digestParts(changed, [], first.checkpoints);
    expect(second.checkpoints.after.slice(0, 3)).toEqual(first.checkpoints.after.slice(0, 3));
    expect(second.checkpoints.after[3]).not.toBe(first.checkpoints.after[3]);
    // The first run's states still give its own digests.
    expect(digestParts(parts, [], first.checkpoints).hashed).toEqual(first.hashed);
  });
});
