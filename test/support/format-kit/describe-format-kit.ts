import { describeEachBackend } from '../backends';
import { ADMIN_ENV } from '../clients/accounts';
import { startTestApp, TestApp } from '../test-app';
import { KIT_CALLERS, KIT_OWNERS, KitCaller, KitOwner } from './access-model';
import { createKitAccounts, KitAccounts } from './accounts';
import { describeDownloadChecks } from './download-checks';
import type { FormatProfile, KitArtifact } from './format-profile';
import { KitRequest, send } from './http';
import { actualCell, cellName, expectedMatrix, matrixCells } from './matrix';
import { storedState } from './stored-state';

/** The limit the kit sets for the format: small artifacts pass, the oversized one does not. */
export const KIT_SIZE_LIMIT = 64 * 1024;

/** The state one backend's run shares between its tests. */
export interface KitContext {
  t: TestApp;
  accounts: KitAccounts;
  /** The artifact the site admin published into each owner (a missing owner: never published). */
  seeds: Map<string, KitArtifact>;
  /** A number no other artifact of this run has used. */
  next(): number;
}

export const withHeaders = (req: KitRequest, headers: Record<string, string>): KitRequest => ({
  ...req,
  headers: { ...req.headers, ...headers },
});

/**
 * The shared end-to-end checks of a format, on both backends, with one app per backend:
 * the permission matrix (every caller × every owner, downloads and uploads, exactly one
 * challenge on each 401), refused uploads leaving nothing behind, and download headers.
 */
export function describeFormatKit(profile: FormatProfile): void {
  describeEachBackend(`format kit: ${profile.name}`, (backend) => {
    const ctx = {} as KitContext;
    let counter = 0;
    let callers: KitCaller[] = KIT_CALLERS;

    beforeAll(async () => {
      ctx.t = await startTestApp(backend, {
        ...ADMIN_ENV,
        [profile.sizeLimitEnv]: String(KIT_SIZE_LIMIT),
      });
      ctx.next = () => ++counter;
      const anonymous = await profile.anonymousCredential?.(ctx.t.url);
      if (anonymous)
        callers = [
          ...KIT_CALLERS.slice(0, 1),
          { name: 'anonymous token' },
          ...KIT_CALLERS.slice(1),
        ];
      ctx.accounts = await createKitAccounts(ctx.t.url, anonymous);
      ctx.seeds = new Map();
      for (const owner of KIT_OWNERS) {
        const artifact = await profile.artifact(owner.name, ctx.next());
        if (owner.kind !== 'missing') {
          const res = await send(ctx.t.url, withHeaders(artifact.upload, ctx.accounts.admin));
          if (res.status !== (profile.uploadedStatus ?? 201))
            throw new Error(
              `seeding ${owner.name} answered ${res.status}: ${res.body.toString().slice(0, 300)}`,
            );
        }
        ctx.seeds.set(owner.name, artifact);
      }
    });
    afterAll(async () => {
      await ctx.t?.close();
    });

    const matrix = (mode: 'read' | 'write') =>
      expectedMatrix({
        mode,
        callers,
        success: mode === 'read' ? 200 : (profile.uploadedStatus ?? 201),
        challenge: profile.challenge(ctx.t.url),
        bareChallenged: !!profile.anonymousCredential,
      });

    it('downloads: each caller gets what the access rule allows from each owner, and a 401 carries one challenge', async () => {
      const actual: Record<string, string> = {};
      for (const { owner, caller } of matrixCells(callers)) {
        const seed = ctx.seeds.get(owner.name)!;
        const res = await send(ctx.t.url, {
          method: 'GET',
          path: seed.download,
          headers: ctx.accounts.headers(caller, owner),
        });
        const intact = res.status !== 200 || res.body.equals(seed.bytes);
        actual[cellName(caller, 'read', owner)] = intact
          ? actualCell(res)
          : `${actualCell(res)} with other bytes`;
      }
      expect(actual).toEqual(matrix('read'));
    });

    it('uploads: each caller may publish where the access rule allows; a refused upload stores nothing', async () => {
      const actual: Record<string, string> = {};
      const leftovers: Record<string, unknown> = {};
      for (const { owner, caller } of matrixCells(callers)) {
        const artifact = await profile.artifact(owner.name, ctx.next());
        const before = await storedState(ctx.t);
        const res = await send(
          ctx.t.url,
          withHeaders(artifact.upload, ctx.accounts.headers(caller, owner)),
        );
        const name = cellName(caller, 'write', owner);
        actual[name] = actualCell(res);
        if (res.status >= 400) {
          const after = await storedState(ctx.t);
          if (JSON.stringify(after) !== JSON.stringify(before)) leftovers[name] = { before, after };
        }
      }
      expect(actual).toEqual(matrix('write'));
      expect(leftovers).toEqual({});
    });

    describeRefusedUploads(profile, ctx);
    describeDownloadChecks(profile, ctx);
  });
}

/** An invalid artifact and an oversized one are refused, and leave nothing behind. */
function describeRefusedUploads(profile: FormatProfile, ctx: KitContext): void {
  const owner = KIT_OWNERS[0];
  const ownerCaller: KitCaller = { name: 'owner itself', self: true };
  const refuse = async (req: KitRequest, status: number, owner: KitOwner) => {
    const before = await storedState(ctx.t);
    const res = await send(ctx.t.url, withHeaders(req, ctx.accounts.headers(ownerCaller, owner)));
    expect({ status: res.status, stored: await storedState(ctx.t) }).toEqual({
      status,
      stored: before,
    });
    // The refusal says why, in the protocol's error body.
    expect(res.body.length).toBeGreaterThan(0);
  };

  it(`refuses an invalid artifact with ${profile.invalidStatus ?? 400}, leaving no row, object or temp file`, async () => {
    await refuse(
      await profile.invalidUpload(owner.name, ctx.next()),
      profile.invalidStatus ?? 400,
      owner,
    );
  });

  it(`refuses an artifact over ${profile.sizeLimitEnv} with 413, leaving no row, object or temp file`, async () => {
    await refuse(await profile.oversizedUpload(owner.name, ctx.next(), KIT_SIZE_LIMIT), 413, owner);
  });
}
