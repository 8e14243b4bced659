import { createServiceContext, ServiceContext } from '../../test/support/service-context.js';
import { UnknownUserError } from '../errors/domain-errors.js';
import { BLOCKED_BY, ModerationService, YOU_BLOCKED } from './moderation.service.js';

describe('ModerationService', () => {
  let context: ServiceContext;
  let moderation: ModerationService;

  beforeAll(async () => {
    context = await createServiceContext();
    moderation = context.get(ModerationService);
  });
  afterAll(() => context.close());
  beforeEach(() => context.reset(1, 2));

  it('blocks and unblocks idempotently', async () => {
    await moderation.setBlock(1, 2, 1);
    await moderation.setBlock(1, 2, 1);
    expect(await context.dataSource.query('SELECT blocker_id, blocked_id FROM blocks')).toEqual([
      { blocker_id: 1, blocked_id: 2 },
    ]);
    await moderation.setBlock(1, 2, 0);
    await moderation.setBlock(1, 2, 0);
    expect(await context.dataSource.query('SELECT * FROM blocks')).toEqual([]);
  });

  it('says who blocked whom, the sender’s own block first', async () => {
    expect(await moderation.blockRefusal(1, 2)).toBeNull();
    await moderation.setBlock(2, 1, 1);
    expect(await moderation.blockRefusal(1, 2)).toBe(BLOCKED_BY);
    expect(await moderation.blockRefusal(2, 1)).toBe(YOU_BLOCKED);
    await moderation.setBlock(1, 2, 1);
    expect(await moderation.blockRefusal(1, 2)).toBe(YOU_BLOCKED);
  });

  it('keeps every report with its comment', async () => {
    await moderation.report(1, 2, 'spam');
    await moderation.report(1, 2);
    const reports = await context.dataSource.query(
      'SELECT reporter_id, reported_id, comment FROM reports ORDER BY id',
    );
    expect(reports).toEqual([
      { reporter_id: 1, reported_id: 2, comment: 'spam' },
      { reporter_id: 1, reported_id: 2, comment: null },
    ]);
  });

  it('refuses to block or report an unknown user', async () => {
    await expect(moderation.setBlock(1, 9, 1)).rejects.toThrow(new UnknownUserError(9));
    await expect(moderation.report(1, 9)).rejects.toThrow(new UnknownUserError(9));
    expect(await context.dataSource.query('SELECT * FROM blocks')).toEqual([]);
  });
});
