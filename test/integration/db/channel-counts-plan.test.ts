import type { Knex } from 'knex';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateLatest, openDb, type Db } from '../../../src/adapters/db/connection.ts';
import { ChannelsRepository } from '../../../src/adapters/db/repositories/channels-repository.ts';

interface Statement {
  readonly sql: string;
  readonly bindings: readonly Knex.RawBinding[];
}

let db: Db | null = null;
afterEach(async () => {
  await db?.destroy();
  db = null;
});

/** SQLite's plan steps for the statement `run` sends that reads call_attempts. */
async function planOf(run: (channels: ChannelsRepository) => Promise<unknown>): Promise<string[]> {
  db = openDb({ url: ':memory:' });
  await migrateLatest(db);
  let statement: Statement | null = null;
  db.on('query', (q: Statement) => {
    if (q.sql.includes('call_attempts')) statement = q;
  });
  await run(new ChannelsRepository(db));
  const { sql, bindings } = statement as unknown as Statement;
  return (await db.raw(`EXPLAIN QUERY PLAN ${sql}`, bindings) as { detail: string }[]).map((r) => r.detail);
}

// Both run on every route request near a full trunk or twice a second: a plan that walks every
// attempt ever stored (by trunk) grows with the call history — 27 ms at 110,000 attempts for the
// counts, against 0.1 ms by call id.
describe('channels in use and last-channel claims, on SQLite', () => {
  it('the counts read only the attempts of the calls being routed, by call id', async () => {
    const plan = await planOf((channels) => channels.busyByTrunk(0));
    expect(plan).toContain('SEARCH a USING INDEX call_attempts_call_attempt (call_id=?)');
    expect(plan.filter((step) => /^(SCAN|SEARCH) a\b/.test(step))).toHaveLength(1);
  });

  it('a claim checks the holding call\'s own attempts, by call id', async () => {
    const plan = await planOf((channels) => channels.claimLast('gsm-mts', 'call-1', 1000));
    expect(plan).toContain('SEARCH a USING INDEX call_attempts_call_attempt (call_id=?)');
    expect(plan.filter((step) => /(SCAN|SEARCH) a\b/.test(step))).toHaveLength(1);
  });
});
