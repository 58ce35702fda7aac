import { OrgRole, UserEntity } from '@wharf/packages-core';
import { OwnerCache } from './owner-cache';

describe('OwnerCache', () => {
  let clock = 0;
  const now = () => clock;
  const row = (id: number, name: string) =>
    Object.assign(new UserEntity(), { id, name, lowerName: name.toLowerCase() });

  it('reuses an owner for the TTL, case-insensitively, and never caches a missing one', async () => {
    const cache = new OwnerCache({ ttlMs: 1000, now });
    let reads = 0;
    const load = async (lower: string) => (reads++, lower === 'alice' ? row(1, 'Alice') : null);
    await cache.owner('Alice', load);
    await cache.owner('ALICE', load);
    expect(reads).toBe(1);
    await cache.owner('bob', load);
    await cache.owner('bob', load);
    expect(reads).toBe(3);
    clock += 1000;
    await cache.owner('alice', load);
    expect(reads).toBe(4);
    cache.invalidateOwner(1);
    await cache.owner('alice', load);
    expect(reads).toBe(5);
  });

  it('caches roles and non-membership, and forgets them on a membership change or an owner change', async () => {
    const cache = new OwnerCache({ now });
    let reads = 0;
    let role: OrgRole | undefined = OrgRole.Write;
    const load = async () => (reads++, role);
    expect(await cache.role(10, 1, load)).toBe(OrgRole.Write);
    role = undefined;
    expect(await cache.role(10, 1, load)).toBe(OrgRole.Write);
    cache.invalidateRole(10, 1);
    expect(await cache.role(10, 1, load)).toBeUndefined();
    expect(await cache.role(10, 1, load)).toBeUndefined();
    expect(reads).toBe(2);
    role = OrgRole.Read;
    cache.invalidateOwner(1);
    expect(await cache.role(10, 1, load)).toBe(OrgRole.Read);
    cache.invalidateOwner(10);
    await cache.role(10, 1, load);
    expect(reads).toBe(4);
  });

  it('hands out copies, so a caller changing its entity does not change the cache', async () => {
    const cache = new OwnerCache({ now });
    const first = await cache.owner('alice', async () => row(1, 'alice'));
    first!.visibility = 'private' as never;
    const again = await cache.owner('alice', async () => null);
    expect(again?.visibility).toBeUndefined();
  });
});
