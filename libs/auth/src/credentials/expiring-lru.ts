/** How long a cached identity answer may be used, and how many are kept. */
export interface ExpiringLruOptions {
  maxEntries: number;
  ttlMs: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A map that forgets: at most `maxEntries` values (the least recently used go first) and
 * none older than `ttlMs`. The building block of the identity caches, whose staleness is
 * bounded by the TTL on every replica, whatever happens on the others.
 */
export class ExpiringLru<V> {
  // A Map iterates in insertion order: re-inserting on use keeps the oldest first.
  private readonly entries = new Map<string, Entry<V>>();
  private readonly now: () => number;

  constructor(private readonly options: ExpiringLruOptions) {
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every value `match` accepts (writes are rare; a scan of a bounded map is cheap). */
  deleteWhere(match: (value: V, key: string) => boolean): void {
    for (const [key, entry] of this.entries) if (match(entry.value, key)) this.entries.delete(key);
  }

  /** The keys held, oldest first (for tests: a key must never reveal a secret). */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}
