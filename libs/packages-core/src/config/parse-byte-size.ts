const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

/**
 * Parses a byte size as operators write it: `1048576`, `512 MiB`, `2GB`, or `-1` for
 * unlimited (returned as `undefined`). Decimal units are powers of 1000, binary ones
 * of 1024. Returns `null` for anything else so the caller can name the variable.
 */
export function parseByteSize(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '-1') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(trimmed);
  if (!match) return null;
  const unit = UNITS[match[2].toLowerCase()];
  if (unit === undefined) return null;
  const value = Math.floor(Number(match[1]) * unit);
  return Number.isSafeInteger(value) ? value : null;
}

/** Parses a duration: `90` (seconds), `90s`, `15m`, `24h`, `7d`. `null` when invalid. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(text.trim());
  if (!match) return null;
  const factor = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * factor;
}
