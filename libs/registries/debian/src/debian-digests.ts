import { createHash, Hash } from 'node:crypto';
import type { HashedFile } from './debian.documents';

/*
 * The four digests a Release lists for a file made of parts (docs/protocols/debian.md §4),
 * computed again after a change from the first part that changed only. The hash states
 * after each part are kept (`Hash.copy()`); when a part is replaced, the states before it
 * still hold, and hashing resumes there. Parts come in a fixed order (shard order), so an
 * upload into one shard re-hashes that shard's part and those after it, not the whole file.
 */

const ALGORITHMS = ['md5', 'sha1', 'sha256', 'sha512'] as const;

/** A part of the file: its identity (unchanged parts are the same object) and its bytes. */
export interface DigestPart {
  id: unknown;
  pieces: readonly Buffer[];
}

/** The hash states after each part, for the next computation over the same file. */
export interface DigestCheckpoints {
  after: { id: unknown; states: Hash[]; size: number }[];
}

/**
 * The digests of `parts` followed by `tail` (bytes that change with every change, such as
 * an xz index), resuming from `previous` at the first part whose identity differs.
 */
export function digestParts(
  parts: readonly DigestPart[],
  tail: readonly Buffer[],
  previous?: DigestCheckpoints,
): { hashed: HashedFile; checkpoints: DigestCheckpoints } {
  let same = 0;
  const old = previous?.after ?? [];
  while (same < parts.length && same < old.length && old[same].id === parts[same].id) same++;
  const after = old.slice(0, same);
  let states = same ? after[same - 1].states : ALGORITHMS.map((a) => createHash(a));
  let size = same ? after[same - 1].size : 0;
  for (const part of parts.slice(same)) {
    // Kept states are never updated: each step goes on from copies.
    states = states.map((s) => s.copy());
    for (const piece of part.pieces) {
      size += piece.length;
      for (const state of states) state.update(piece);
    }
    after.push({ id: part.id, states, size });
  }
  const final = states.map((s) => s.copy());
  for (const piece of tail) {
    size += piece.length;
    for (const state of final) state.update(piece);
  }
  const [md5, sha1, sha256, sha512] = final.map((s) => s.digest('hex'));
  return { hashed: { size, md5, sha1, sha256, sha512 }, checkpoints: { after } };
}
