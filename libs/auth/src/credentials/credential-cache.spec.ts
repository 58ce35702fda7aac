import { UserEntity } from '@wharf/packages-core';
import { Principal } from '../principal';
import { CredentialCache } from './credential-cache';

function principal(userId: number, extra: Partial<Principal> = {}): Principal {
  return {
    user: Object.assign(new UserEntity(), { id: userId, name: `u${userId}` }),
    via: 'password',
    ...extra,
  };
}

describe('CredentialCache', () => {
  let clock: number;
  const now = () => clock;
  beforeEach(() => (clock = 1_000_000));

  /** A verifier that counts its calls. */
  function verifier(result: () => Principal) {
    const calls = { n: 0 };
    return { calls, verify: async () => (calls.n++, result()) };
  }

  it('verifies once and answers the same credentials from memory until the TTL passes', async () => {
    const cache = new CredentialCache({ ttlMs: 5000, now });
    const v = verifier(() => principal(1));
    await cache.getOrVerify(['basic', 'alice', 'pw-1'], v.verify);
    clock += 4999;
    expect((await cache.getOrVerify(['basic', 'alice', 'pw-1'], v.verify)).user.id).toBe(1);
    expect(v.calls.n).toBe(1);
    clock += 1;
    await cache.getOrVerify(['basic', 'alice', 'pw-1'], v.verify);
    expect(v.calls.n).toBe(2);
  });

  it('tells different credentials apart, including the same characters split differently', async () => {
    const cache = new CredentialCache({ now });
    const v = verifier(() => principal(1));
    await cache.getOrVerify(['basic', 'alice', 'pw'], v.verify);
    await cache.getOrVerify(['basic', 'alice', 'pw2'], v.verify);
    await cache.getOrVerify(['basic', 'alicep', 'w'], v.verify);
    await cache.getOrVerify(['token', 'alice', 'pw'], v.verify);
    expect(v.calls.n).toBe(4);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new CredentialCache({ maxEntries: 3, now });
    const v = verifier(() => principal(1));
    for (const pw of ['a', 'b', 'c']) await cache.getOrVerify(['basic', 'u', pw], v.verify);
    await cache.getOrVerify(['basic', 'u', 'a'], v.verify); // used: now the newest
    await cache.getOrVerify(['basic', 'u', 'd'], v.verify); // evicts b
    expect(cache.size).toBe(3);
    expect(v.calls.n).toBe(4);
    await cache.getOrVerify(['basic', 'u', 'a'], v.verify);
    expect(v.calls.n).toBe(4);
    await cache.getOrVerify(['basic', 'u', 'b'], v.verify);
    expect(v.calls.n).toBe(5);
    expect(cache.size).toBe(3);
  });

  it('never holds a failure: a wrong password is verified every time', async () => {
    const cache = new CredentialCache({ now });
    let calls = 0;
    const refuse = async (): Promise<Principal> => {
      calls++;
      throw new Error('invalid');
    };
    await expect(cache.getOrVerify(['basic', 'u', 'bad'], refuse)).rejects.toThrow('invalid');
    await expect(cache.getOrVerify(['basic', 'u', 'bad'], refuse)).rejects.toThrow('invalid');
    expect(calls).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('keeps no trace of the secret or the user name in its keys', async () => {
    const cache = new CredentialCache({ now });
    const secret = 'correct-horse-battery-staple';
    const token = 'a'.repeat(40);
    await cache.getOrVerify(['basic', 'alice', secret], async () => principal(1));
    await cache.getOrVerify(['token', token], async () => principal(1, { tokenId: 7 }));
    const forms = (s: string) => [
      s,
      Buffer.from(s).toString('base64'),
      Buffer.from(s).toString('hex'),
      Buffer.from(s).toString('base64url'),
    ];
    for (const key of cache.keys()) {
      for (const form of [...forms(secret), ...forms(token), ...forms('alice')])
        expect(key).not.toContain(form);
    }
    // Keys are keyed by a per-process secret: another cache files the same credentials elsewhere.
    const other = new CredentialCache({ now });
    await other.getOrVerify(['basic', 'alice', secret], async () => principal(1));
    expect(other.keys()).not.toEqual(cache.keys().slice(0, 1));
  });

  it('forgets a user or a token at once when told', async () => {
    const cache = new CredentialCache({ now });
    const v = verifier(() => principal(1));
    const t = verifier(() => principal(2, { tokenId: 9, via: 'token' }));
    await cache.getOrVerify(['basic', 'alice', 'pw'], v.verify);
    await cache.getOrVerify(['token', 'tok'], t.verify);
    cache.invalidateToken(9);
    await cache.getOrVerify(['token', 'tok'], t.verify);
    await cache.getOrVerify(['basic', 'alice', 'pw'], v.verify);
    expect([v.calls.n, t.calls.n]).toEqual([1, 2]);
    cache.invalidateUser(1);
    await cache.getOrVerify(['basic', 'alice', 'pw'], v.verify);
    expect(v.calls.n).toBe(2);
  });

  it('does not keep a verification that was running when an invalidation came', async () => {
    const cache = new CredentialCache({ now });
    let release!: () => void;
    const slow = cache.getOrVerify(
      ['basic', 'alice', 'old-password'],
      () => new Promise<Principal>((resolve) => (release = () => resolve(principal(1)))),
    );
    cache.invalidateUser(1); // the password changed while the old one was being checked
    release();
    await slow;
    expect(cache.size).toBe(0);
  });

  it('stops answering with a token past its expiry', async () => {
    const cache = new CredentialCache({ now });
    const expiresUnix = Math.floor(Date.now() / 1000) - 1;
    const v = verifier(() => principal(1, { tokenId: 3, expiresUnix }));
    await cache.getOrVerify(['token', 'tok'], v.verify);
    await cache.getOrVerify(['token', 'tok'], v.verify);
    expect(v.calls.n).toBe(2);
  });

  it('lets the caller refuse a cached principal, and hands out copies', async () => {
    const cache = new CredentialCache({ now });
    const first = await cache.getOrVerify(['basic', 'alice', 'pw'], async () => principal(1));
    first.user.isActive = false;
    const refused = cache.getOrVerify(
      ['basic', 'alice', 'pw'],
      async () => principal(1),
      async () => {
        throw new Error('blocked');
      },
    );
    await expect(refused).rejects.toThrow('blocked');
    const again = await cache.getOrVerify(['basic', 'alice', 'pw'], async () => principal(1));
    expect(again.user.isActive).toBeUndefined();
  });

  /** A verification that ends when the test says, counting its runs. */
  function gate() {
    const calls = { n: 0 };
    const ends: { resolve: (p: Principal) => void; reject: (e: Error) => void }[] = [];
    const verify = () =>
      new Promise<Principal>((resolve, reject) => {
        calls.n++;
        ends.push({ resolve, reject });
      });
    return { calls, ends, verify };
  }

  it('runs one verification for the same credentials asked at once, and gives each caller its own copy', async () => {
    const cache = new CredentialCache({ now });
    const g = gate();
    const hits: number[] = [];
    const asks = [0, 1, 2].map((i) =>
      cache.getOrVerify(
        ['basic', 'alice', 'pw'],
        g.verify,
        async (p) => void hits.push(i + p.user.id),
      ),
    );
    const other = cache.getOrVerify(['basic', 'alice', 'other-pw'], g.verify);
    await new Promise((r) => setImmediate(r));
    expect(g.calls.n).toBe(2);
    g.ends[0].resolve(principal(7));
    const [a, b, c] = await Promise.all(asks);
    a.user.name = 'changed by the first caller';
    expect([b.user.id, c.user.id]).toEqual([7, 7]);
    expect(b.user.name).toBe('u7');
    expect(b.user).not.toBe(c.user);
    // the callers that joined a run are checked like a cache hit (the rate limiter's block)
    expect(hits).toEqual([8, 9]);
    g.ends[1].resolve(principal(8));
    expect((await other).user.id).toBe(8);
  });

  it('hands the failure of a shared verification to every caller, and keeps nothing', async () => {
    const cache = new CredentialCache({ now });
    const g = gate();
    const asks = [0, 1].map(() => cache.getOrVerify(['basic', 'alice', 'wrong'], g.verify));
    await new Promise((r) => setImmediate(r));
    g.ends[0].reject(new Error('invalid user name or password'));
    for (const ask of asks) await expect(ask).rejects.toThrow('invalid user name or password');
    expect(g.calls.n).toBe(1);
    await expect(
      cache.getOrVerify(['basic', 'alice', 'wrong'], async () => {
        throw new Error('checked again');
      }),
    ).rejects.toThrow('checked again');
    expect(cache.size).toBe(0);
  });

  it('does not let a request after an invalidation join a verification begun before it', async () => {
    const cache = new CredentialCache({ now });
    const g = gate();
    const before = cache.getOrVerify(['basic', 'alice', 'old-password'], g.verify);
    cache.invalidateUser(1);
    const after = cache.getOrVerify(['basic', 'alice', 'old-password'], g.verify);
    await new Promise((r) => setImmediate(r));
    expect(g.calls.n).toBe(2);
    g.ends[0].resolve(principal(1));
    g.ends[1].reject(new Error('invalid user name or password'));
    await expect(before).resolves.toBeDefined();
    await expect(after).rejects.toThrow('invalid user name or password');
  });
});
