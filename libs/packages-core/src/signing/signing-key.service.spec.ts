import { spawnSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { SecretService } from '../config/secret.service';
import { UserEntity, UserSettingEntity } from '../entities';
import { BACKENDS } from '../testing/backends';
import { createCoreTestContext, CoreTestContext } from '../testing/core-test-context';
import { describeIf } from '../testing/test-env';
import { SigningKeyService } from './signing-key.service';

// gpgv is what apt runs on Release files; under CI its absence fails instead of skipping.
const hasGpg = spawnSync('gpg', ['--version']).status === 0 || process.env.CI === 'true';

/** Verifies with GnuPG in a throw-away home holding only `armoredKey`. */
function gpgVerify(armoredKey: string, files: Record<string, string | Uint8Array>, args: string[]) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'wharf-gpg-'));
  try {
    writeFileSync(path.join(home, 'key.asc'), armoredKey);
    const keyring = path.join(home, 'keyring.gpg');
    const imported = spawnSync('gpg', [
      '--homedir',
      home,
      '--batch',
      '--dearmor',
      '-o',
      keyring,
      path.join(home, 'key.asc'),
    ]);
    if (imported.status !== 0) throw new Error(imported.stderr.toString());
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(home, name), body);
    const result = spawnSync('gpgv', [
      '--homedir',
      home,
      '--keyring',
      keyring,
      ...args.map((a) => path.join(home, a)),
    ]);
    return { ok: result.status === 0, output: result.stderr.toString() };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

for (const backend of BACKENDS) {
  describeIf(
    backend.available,
    backend.missing,
    `repository signing keys [${backend.name}]`,
    () => {
      let ctx: CoreTestContext;
      let owner: UserEntity;
      let keys: SigningKeyService;

      beforeAll(async () => {
        ctx = await createCoreTestContext(backend, {
          REGISTRY_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
        });
        owner = await ctx.makeOwner();
        keys = ctx.module.get(SigningKeyService);
      });
      afterAll(async () => ctx?.close());

      it('makes one OpenPGP key per owner and purpose, the same on every call', async () => {
        const first = await keys.openPgp(owner.id, 'debian');
        expect(first.fingerprint).toMatch(/^[0-9A-F]{40}$/);
        expect(first.keyId).toBe(first.fingerprint.slice(-16));
        expect(first.armoredPublicKey).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
        expect((await keys.openPgp(owner.id, 'debian')).fingerprint).toBe(first.fingerprint);
        expect((await keys.openPgp(owner.id, 'rpm')).fingerprint).not.toBe(first.fingerprint);
        const other = await ctx.makeOwner();
        expect((await keys.openPgp(other.id, 'debian')).fingerprint).not.toBe(first.fingerprint);
      });

      it('stores the private key sealed, never in the clear', async () => {
        await keys.openPgp(owner.id, 'debian');
        await keys.rsa(owner.id, 'alpine');
        const rows = await ctx.db.manager.findBy(UserSettingEntity, { userId: owner.id });
        expect(rows.map((r) => r.key).sort()).toEqual(
          expect.arrayContaining(['signing.openpgp.debian', 'signing.rsa.alpine']),
        );
        for (const row of rows) {
          expect(row.value).not.toMatch(/PRIVATE KEY/);
          expect(JSON.parse(row.value).privateKey).toMatch(/^v1\./);
        }
      });

      it('two services racing for a new key end up signing with the same one', async () => {
        const racer = await ctx.makeOwner();
        const second = new SigningKeyService(ctx.db, ctx.module.get(SecretService));
        const [a, b] = await Promise.all([
          keys.openPgp(racer.id, 'arch'),
          second.openPgp(racer.id, 'arch'),
        ]);
        const stored = await ctx.db.manager.findOneByOrFail(UserSettingEntity, {
          userId: racer.id,
          key: 'signing.openpgp.arch',
        });
        // whichever lost the insert reads the winner's row back
        const winner = JSON.parse(stored.value).publicKey as string;
        const fresh = new SigningKeyService(ctx.db, ctx.module.get(SecretService));
        expect((await fresh.openPgp(racer.id, 'arch')).armoredPublicKey).toBe(winner);
        expect([a.armoredPublicKey, b.armoredPublicKey]).toContain(winner);
      });

      (hasGpg ? it : it.skip)(
        'detached, streamed and cleartext signatures verify with gpgv (skipped without GnuPG)',
        async () => {
          const signer = await keys.openPgp(owner.id, 'debian');
          const release = 'Origin: wharf\nSuite: stable\n';
          const armored = await signer.signDetached(release, { armor: true });
          expect(armored).toContain('-----BEGIN PGP SIGNATURE-----');
          expect(
            gpgVerify(signer.armoredPublicKey, { Release: release, 'Release.gpg': armored }, [
              'Release.gpg',
              'Release',
            ]).ok,
          ).toBe(true);
          const binary = await signer.signDetached(Buffer.from(release), { armor: false });
          expect(
            gpgVerify(signer.armoredPublicKey, { Release: release, 'Release.sig': binary }, [
              'Release.sig',
              'Release',
            ]).ok,
          ).toBe(true);
          // a changed byte fails: the check can fail
          expect(
            gpgVerify(signer.armoredPublicKey, { Release: release + 'x', 'Release.sig': binary }, [
              'Release.sig',
              'Release',
            ]).ok,
          ).toBe(false);

          const big = Buffer.alloc(3 * 1024 * 1024, 7);
          const streamed = await signer.signStream(
            Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
          );
          expect(
            gpgVerify(signer.armoredPublicKey, { pkg: big, 'pkg.sig': streamed }, [
              'pkg.sig',
              'pkg',
            ]).ok,
          ).toBe(true);

          const inRelease = await signer.signCleartext(release);
          expect(inRelease).toContain('-----BEGIN PGP SIGNED MESSAGE-----');
          expect(
            gpgVerify(signer.armoredPublicKey, { InRelease: inRelease }, ['InRelease']).ok,
          ).toBe(true);
          // another owner's key does not verify it
          const stranger = await keys.openPgp((await ctx.makeOwner()).id, 'debian');
          expect(
            gpgVerify(stranger.armoredPublicKey, { InRelease: inRelease }, ['InRelease']).ok,
          ).toBe(false);
        },
      );

      it('RSA keys sign PKCS#1 v1.5 with SHA-1 or SHA-256, verifiable with the public PEM', async () => {
        const signer = await keys.rsa(owner.id, 'alpine');
        expect(signer.publicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
        expect(signer.fingerprint).toMatch(/^[0-9a-f]{40}$/);
        const data = Buffer.from('APKINDEX control segment');
        const publicKey = createPublicKey(signer.publicKeyPem);
        expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
        for (const hash of ['sha1', 'sha256'] as const) {
          const signature = signer.sign(data, hash);
          expect(verify(hash, data, publicKey, signature)).toBe(true);
          expect(verify(hash, Buffer.from('other'), publicKey, signature)).toBe(false);
        }
        expect((await keys.rsa(owner.id, 'alpine')).fingerprint).toBe(signer.fingerprint);
      });

      it('a sealed key does not open under another secret', async () => {
        const other = await createCoreTestContext(backend, {
          REGISTRY_SECRET: 'a-different-secret-that-is-long-enough-987654',
        });
        try {
          const row = await ctx.db.manager.findOneByOrFail(UserSettingEntity, {
            userId: owner.id,
            key: 'signing.openpgp.debian',
          });
          const victim = await other.makeOwner();
          await other.db.manager.insert(UserSettingEntity, { ...row, userId: victim.id });
          await expect(
            other.module.get(SigningKeyService).openPgp(victim.id, 'debian'),
          ).rejects.toThrow();
        } finally {
          await other.close();
        }
      });
    },
  );
}
