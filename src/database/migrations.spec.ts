import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';

describe('migrations', () => {
  let context: ServiceContext;
  beforeAll(async () => {
    context = await createServiceContext();
  });
  afterAll(() => context.close());

  it('leave no difference between the entities and the migrated schema', async () => {
    const pending = await context.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('have all run at start-up', async () => {
    expect(await context.dataSource.showMigrations()).toBe(false);
  });
});
