import { UserDataRegistry, type UserDataEntry } from './user-data-registry.js';

const entry = (name: string, order: number): UserDataEntry => ({
  name,
  order,
  erase: () => Promise.resolve(0),
});

describe('UserDataRegistry', () => {
  it('lists entries by ascending order, in registration order among equals', () => {
    const registry = new UserDataRegistry();
    for (const [name, order] of [
      ['users', 1000],
      ['blocks', 100],
      ['feed_events', 900],
      ['reports', 100],
      ['messages', 300],
    ] as const) {
      registry.register(entry(name, order));
    }
    expect(registry.list().map((e) => e.name)).toEqual([
      'blocks',
      'reports',
      'messages',
      'feed_events',
      'users',
    ]);
  });

  it('refuses a table registered twice', () => {
    const registry = new UserDataRegistry();
    registry.register(entry('devices', 100));
    expect(() => registry.register(entry('devices', 200))).toThrow(/registered twice/);
  });
});
