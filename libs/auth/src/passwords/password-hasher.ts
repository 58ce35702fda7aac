import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, ScryptOptions, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';

/**
 * scrypt cost: N = 2^14, r = 8, p = 1 (16 MiB, tens of milliseconds). Package managers
 * send Basic credentials on every request, so the cost is paid per request, not per
 * session; the parameters are stored in each hash, so they can be raised later without
 * invalidating existing passwords.
 */
const DEFAULT_PARAMS = { ln: 14, r: 8, p: 1 };
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
// Refuse stored parameters that would make one verification a denial of service.
const MAX_LN = 20;
const PHC = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * scrypt runs at once, per process, at most one per core (and never more than 2): more
 * adds no throughput, takes 16 MiB each, and a burst of sign-ins would take every thread
 * of libuv's pool (4) from the file reads and writes that share it. Later runs queue.
 */
export const SCRYPT_CONCURRENCY = Math.max(1, Math.min(2, availableParallelism()));

/** Runs `work` with at most `limit` of them under way; the rest wait in order. */
export class RunLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** How many runs are under way (tests). */
  get running(): number {
    return this.active;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.active++;
    try {
      return await work();
    } finally {
      // a waiter inherits this slot: `active` stays counted for it
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

const scryptRuns = new RunLimit(SCRYPT_CONCURRENCY);

function scryptAsync(
  password: string,
  salt: Buffer,
  keyLength: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return scryptRuns.run(
    () =>
      new Promise((resolve, reject) =>
        scrypt(password, salt, keyLength, options, (err, key) =>
          err ? reject(err) : resolve(key),
        ),
      ),
  );
}

function options(ln: number, r: number, p: number): ScryptOptions {
  const N = 2 ** ln;
  // node's default maxmem (32 MiB) is just below what N=2^15 needs; allow what the params need.
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

const b64 = (buf: Buffer) => buf.toString('base64').replace(/=+$/, '');

/**
 * Passwords as PHC-style strings: `$scrypt$ln=14,r=8,p=1$<salt>$<hash>` (unpadded base64).
 * Verification is constant-time in the compared bytes.
 */
@Injectable()
export class PasswordHasher {
  async hash(password: string): Promise<string> {
    const { ln, r, p } = DEFAULT_PARAMS;
    const salt = randomBytes(SALT_LENGTH);
    const key = await scryptAsync(password, salt, KEY_LENGTH, options(ln, r, p));
    return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  /** False for a wrong password and for anything that is not a hash this class wrote. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const match = PHC.exec(encoded);
    if (!match) return false;
    const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (ln < 1 || ln > MAX_LN || r < 1 || r > 32 || p < 1 || p > 16) return false;
    const salt = Buffer.from(match[4], 'base64');
    const expected = Buffer.from(match[5], 'base64');
    if (expected.length < 16) return false;
    const actual = await scryptAsync(password, salt, expected.length, options(ln, r, p));
    return timingSafeEqual(actual, expected);
  }

  /**
   * Spends the time of one verification without a stored hash, so an unknown user name
   * answers as slowly as a wrong password (no user enumeration by timing).
   */
  async burn(password: string): Promise<void> {
    await this.verify(password, DUMMY_HASH);
  }
}

// A fixed hash of a random password nobody knows; only its cost matters.
const DUMMY_HASH = `$scrypt$ln=${DEFAULT_PARAMS.ln},r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`;
