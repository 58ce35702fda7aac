import { PasswordHasher, RunLimit } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('writes a PHC-style scrypt string with its parameters and a random salt', async () => {
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('s3cret-password');
    await expect(hasher.verify('s3cret-password', hash)).resolves.toBe(true);
    await expect(hasher.verify('s3cret-passwore', hash)).resolves.toBe(false);
    await expect(hasher.verify('', hash)).resolves.toBe(false);
  });

  it('verifies hashes written with other parameters (they are read from the string)', async () => {
    const hash = await hasher.hash('pw-12345678');
    const [, , , salt, key] = hash.split('$');
    // same salt, recomputed with ln=10: a different key, still verifiable by its own params
    const { scryptSync } = await import('node:crypto');
    const other = scryptSync('pw-12345678', Buffer.from(salt, 'base64'), 32, {
      N: 1024,
      r: 8,
      p: 1,
    })
      .toString('base64')
      .replace(/=+$/, '');
    expect(other).not.toBe(key);
    await expect(
      hasher.verify('pw-12345678', `$scrypt$ln=10,r=8,p=1$${salt}$${other}`),
    ).resolves.toBe(true);
  });

  it('refuses malformed, empty and absurdly expensive hashes without throwing', async () => {
    await expect(hasher.verify('x', '')).resolves.toBe(false);
    await expect(hasher.verify('x', 'plain-text')).resolves.toBe(false);
    await expect(
      hasher.verify('x', '$scrypt$ln=30,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    ).resolves.toBe(false);
    await expect(hasher.burn('x')).resolves.toBeUndefined();
  });
});

describe('RunLimit', () => {
  it('runs at most its limit at once and starts the waiting ones in order', async () => {
    const limit = new RunLimit(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    let peak = 0;
    const runs = [0, 1, 2, 3].map((i) =>
      limit.run(async () => {
        started.push(i);
        peak = Math.max(peak, limit.running);
        await new Promise<void>((r) => (release[i] = r));
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    release[1]();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    release[0]();
    release[2]();
    await new Promise((r) => setImmediate(r));
    release[3]();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2, 3]);
    expect(started).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
    expect(limit.running).toBe(0);
  });

  it('frees its slot when a run fails', async () => {
    const limit = new RunLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
    expect(limit.running).toBe(0);
  });
});
