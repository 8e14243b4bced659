import { DataSource } from 'typeorm';
import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';

describe('transactions (on PGlite through ExclusivePGlitePool)', () => {
  let context: ServiceContext;
  beforeAll(async () => {
    context = await createServiceContext();
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset());

  it('a rolled-back transaction does not undo a query that ran meanwhile', async () => {
    const dataSource: DataSource = context.dataSource;
    const failing = dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO users (id, name) VALUES (50, 'in transaction')`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw new Error('roll back');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const meanwhile = dataSource.query(`INSERT INTO users (id, name) VALUES (51, 'meanwhile')`);
    await expect(failing).rejects.toThrow('roll back');
    await meanwhile;
    const ids = await dataSource.query('SELECT id FROM users ORDER BY id');
    expect(ids).toEqual([{ id: 51 }]);
  });
});
