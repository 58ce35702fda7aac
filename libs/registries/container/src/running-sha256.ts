import { createHash, Hash } from 'node:crypto';

/**
 * The sha256 state of each upload session this process appended to, at the offset it
 * reached, so that closing a chunked session needs no second read of its bytes (what
 * distribution keeps in its upload's hash state). Kept in memory only: a session
 * continued on another replica, or after a restart, no longer matches its offset here,
 * and its close reads the stored bytes instead. The bytes before a session's offset
 * never change once written (a chunk is only accepted at the end), so a state recorded
 * at an offset stays true for as long as the session lives.
 */
export class RunningSha256 {
  private readonly states = new Map<string, { offset: number; hash: Hash }>();

  /** @param capacity sessions remembered; the least recently used is dropped past it */
  constructor(private readonly capacity = 4096) {}

  /**
   * A hash of the session's first `offset` bytes, ready to take the next chunk, or
   * undefined when this process does not know them. It is a copy: a chunk that fails
   * half-way leaves the recorded state as it was.
   */
  continueAt(sessionId: string, offset: number): Hash | undefined {
    if (offset === 0) return createHash('sha256');
    const known = this.states.get(sessionId);
    return known?.offset === offset ? known.hash.copy() : undefined;
  }

  /** Records the state after a chunk was stored and the session moved to `offset`. */
  record(sessionId: string, offset: number, hash: Hash): void {
    this.states.delete(sessionId);
    this.states.set(sessionId, { offset, hash });
    if (this.states.size > this.capacity) {
      const oldest = this.states.keys().next().value as string;
      this.states.delete(oldest);
    }
  }

  /** The hex sha256 of the session's first `offset` bytes, when known here. */
  digestAt(sessionId: string, offset: number): string | undefined {
    return this.continueAt(sessionId, offset)?.digest('hex');
  }

  forget(sessionId: string): void {
    this.states.delete(sessionId);
  }
}
