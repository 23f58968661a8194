import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CrmEventsRepository } from '../../../src/adapters/db/repositories/crm-events-repository.ts';
import { OutboxRepository } from '../../../src/adapters/db/repositories/outbox-repository.ts';
import { purgeOldCrmRows } from '../../../src/app/crm/housekeeping.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { manualClock } from './fixtures.ts';

const DAY = 86_400_000;

describe('housekeeping of old CRM rows', () => {
  let dbh: Awaited<ReturnType<typeof tempSqliteDb>>;
  beforeEach(async () => {
    dbh = await tempSqliteDb();
  });
  afterEach(async () => {
    await dbh.close();
  });

  it('deletes done entries and handled events older than the retention, nothing else', async () => {
    const clock = manualClock();
    const now = clock.now();
    const old = now - 31 * DAY;
    const outbox = new OutboxRepository(dbh.db);
    const events = new CrmEventsRepository(dbh.db);
    const settle = async (key: string, at: number, how: 'done' | 'parked' | 'pending') => {
      const { id } = await outbox.enqueue({ dedupeKey: key, method: 'telephony.externalcall.hide', params: {} }, at);
      if (how === 'pending') return id;
      await outbox.claimDue(at, 50, 'w', 1000);
      if (how === 'done') await outbox.markDone(id, true, at, 'w');
      else await outbox.markFailed(id, { error: 'ERROR_CORE (HTTP 400): Call is not found', park: true, nextAttemptAt: at }, at, 'w');
      return id;
    };
    await settle('old-done', old, 'done');
    const oldParked = await settle('old-parked', old, 'parked');
    const oldPending = await settle('old-pending', old, 'pending');
    const recentDone = await settle('recent-done', now - DAY, 'done');

    const event = async (key: string, at: number, state: 'done' | 'failed' | 'pending') => {
      const { id } = await events.record({ event: 'ONEXTERNALCALLSTART', eventKey: key, data: {}, ts: null }, at);
      if (state !== 'pending') await events.finish(id, state, state, at);
      return id;
    };
    await event('old-done', old, 'done');
    await event('old-failed', old, 'failed');
    const oldUnprocessed = await event('old-pending', old, 'pending');
    const recent = await event('recent-done', now - DAY, 'done');

    expect(await purgeOldCrmRows({ outbox, events }, clock, 30)).toEqual({ outbox: 1, events: 2 });
    expect((await outbox.list()).map((e) => e.id).sort()).toEqual([oldParked, oldPending, recentDone].sort());
    expect(await events.get(oldUnprocessed)).not.toBeNull();
    expect(await events.get(recent)).not.toBeNull();
    expect(await events.count()).toBe(2);
    // Nothing left to purge: a second run deletes nothing.
    expect(await purgeOldCrmRows({ outbox, events }, clock, 30)).toEqual({ outbox: 0, events: 0 });
  });
});
