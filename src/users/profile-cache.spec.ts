import { ProfileCache } from './profile-cache.js';

const profile = (id: number, name = `User ${id}`) => ({ id, name, image: '' });

describe('ProfileCache', () => {
  it('returns what was set, until invalidated or cleared', () => {
    const cache = new ProfileCache();
    cache.set(profile(1), cache.beginLoad());
    cache.set(profile(2), cache.beginLoad());
    expect(cache.get(1)).toEqual(profile(1));
    cache.invalidate(1);
    expect(cache.get(1)).toBeUndefined();
    expect(cache.get(2)).toEqual(profile(2));
    cache.clear();
    expect(cache.get(2)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('does not cache a load that began before an invalidation: it may predate the change', () => {
    const cache = new ProfileCache();
    const token = cache.beginLoad();
    cache.invalidate(1); // the admin API changed user 1 while the load ran
    cache.set(profile(1, 'old name'), token);
    expect(cache.get(1)).toBeUndefined();
    cache.set(profile(1, 'new name'), cache.beginLoad());
    expect(cache.get(1)?.name).toBe('new name');
  });

  it('keeps at most its bound, forgetting the oldest entry first', () => {
    const cache = new ProfileCache(3);
    for (const id of [1, 2, 3, 4]) cache.set(profile(id), cache.beginLoad());
    expect(cache.size).toBe(3);
    expect(cache.get(1)).toBeUndefined();
    cache.set(profile(2, 'reloaded'), cache.beginLoad()); // now the newest
    cache.set(profile(5), cache.beginLoad());
    expect([2, 3, 4, 5].map((id) => cache.get(id) !== undefined)).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  it('hands out frozen copies, so no caller can change a cached profile', () => {
    const cache = new ProfileCache();
    const original = profile(1);
    cache.set(original, cache.beginLoad());
    original.name = 'changed by the caller';
    expect(cache.get(1)?.name).toBe('User 1');
    expect(Object.isFrozen(cache.get(1))).toBe(true);
  });
});
