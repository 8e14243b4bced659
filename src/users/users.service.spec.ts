import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { UnknownUserError } from '../errors/domain-errors.js';
import { ProfileCache } from './profile-cache.js';
import { UsersService } from './users.service.js';

describe('UsersService profiles', () => {
  let context: ServiceContext;
  let users: UsersService;
  let cache: ProfileCache;

  beforeAll(async () => {
    context = await createServiceContext();
    users = context.get(UsersService);
    cache = context.get(ProfileCache);
  });
  afterAll(() => context.close());
  beforeEach(async () => {
    await context.reset(1, 2);
    cache.clear();
  });

  it('reads a profile once, then serves it from the cache', async () => {
    expect(await users.requireProfiles(1, 2)).toEqual([
      { id: 1, name: 'User 1', image: '' },
      { id: 2, name: 'User 2', image: '' },
    ]);
    expect(cache.get(1)).toEqual({ id: 1, name: 'User 1', image: '' });
    // A change behind the service's back (not through the admin API) is not seen...
    await context.dataSource.query(`UPDATE users SET name = 'Changed' WHERE id = 1`);
    expect((await users.requireProfiles(1))[0].name).toBe('User 1');
    // ...until the entry is invalidated, as the admin API does (on every node).
    cache.invalidate(1);
    expect((await users.requireProfiles(1))[0].name).toBe('Changed');
  });

  it('shows a change made through upsertProfile in the next answer', async () => {
    await users.requireProfiles(1);
    await users.upsertProfile(1, 'Alice', 'alice.png');
    expect(await users.requireProfiles(1)).toEqual([{ id: 1, name: 'Alice', image: 'alice.png' }]);
    expect((await users.findProfiles([1, 2])).get(1)?.name).toBe('Alice');
  });

  it('does not remember unknown users: one created later is found', async () => {
    await expect(users.requireProfiles(1, 3)).rejects.toThrow(new UnknownUserError(3));
    await users.upsertProfile(3, 'Carol', '');
    expect((await users.requireProfiles(3))[0].name).toBe('Carol');
  });

  it('requireStoredProfiles reads the database, not the cache', async () => {
    await users.requireProfiles(2);
    await context.dataSource.query('DELETE FROM users WHERE id = 2');
    expect((await users.requireProfiles(2))[0].name).toBe('User 2');
    await expect(users.requireStoredProfiles(1, 2)).rejects.toThrow(new UnknownUserError(2));
  });
});
