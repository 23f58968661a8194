import { afterAll, beforeAll, expect, it } from 'vitest';
import { clickIntake } from '../../src/adapters/db/click-intake.ts';
import { migrateLatest, openDb, type Db } from '../../src/adapters/db/connection.ts';
import { TEST_PG_URL } from '../support/db.ts';

let db: Db;
beforeAll(async () => {
  db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  await db('calls').where('id', 'like', 'c2c-lane%').delete();
  await db('crm_events').where('event_key', 'like', 'lane-%').delete();
});
afterAll(async () => db.destroy());

it('a click is stored while every connection of the shared pool is held by other work (PostgreSQL)', async () => {
  const clicks = clickIntake(db);
  // Ten transactions (the whole pool) that stay open until the click is stored.
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  let started = 0;
  let allStarted!: () => void;
  const allIn = new Promise<void>((resolve) => { allStarted = resolve; });
  const holders = Array.from({ length: 10 }, () => db.transaction(async (trx) => {
    await trx.raw('select 1');
    if (++started === 10) allStarted();
    await held;
  }));
  await allIn;
  const stored = await clicks.store({
    event: { event: 'ONEXTERNALCALLSTART', eventKey: 'lane-1', data: { CALL_ID: 'lane-1' }, ts: 1 },
    receivedAt: 1000,
    call: {
      id: 'c2c-lane1', crmCallId: 'lane-1', channelId: 'c2c-lane1-a', linkedid: 'c2c-lane1-a', origin: 'crm', userId: '1', extension: '100',
      number: '+79261234567', numberE164: '+79261234567', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: 1,
    },
  });
  release();
  await Promise.all(holders);
  expect(stored.callCreated).toBe(true);
  expect(await db('calls').where({ crm_call_id: 'lane-1' }).first('id')).toEqual({ id: 'c2c-lane1' });
});
