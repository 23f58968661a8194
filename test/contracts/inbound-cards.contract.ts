import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../../src/adapters/db/repositories/outbox-repository.ts';
import { InboundCardsRepository } from '../../src/adapters/db/repositories/inbound-cards-repository.ts';
import { silentLogger } from '../../src/adapters/logging/logger.ts';
import { DurableInboundCards } from '../../src/app/inbound/durable-cards.ts';
import { InboundCrm } from '../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../src/app/inbound/inbound-service.ts';
import type { Db } from '../../src/adapters/db/connection.ts';
import { inboundRules, WEDNESDAY_NOON } from '../unit/scenarios/support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers: [{ number: '+74951234500', scenario: main }]
scenarios:
  - id: main
    steps: [{ group: ordered }, { group: all }]
groups:
  - { id: ordered, strategy: order, ringTime: 5, members: [1, 2] }
  - { id: all, ringTime: 5, members: [1, 2, 3] }
`);


/** One connector instance on the shared database: its own process memory, the shared outbox and card rows. */
function instance(db: Db) {
  const rules = { current: () => RULES };
  const cards = new DurableInboundCards({
    crm: new InboundCrm({ outbox: new OutboxRepository(db), rules, now: () => WEDNESDAY_NOON, logger: silentLogger }),
    store: new InboundCardsRepository(db), now: () => WEDNESDAY_NOON, logger: silentLogger,
  });
  const service = new InboundService({ rules, now: () => WEDNESDAY_NOON, random: () => 0, observe: cards.observe, events: cards });
  return { cards, service };
}

/** The CRM writes planned for one call (by its outbox keys), in order. */
async function writes(db: Db, linkedid: string): Promise<string[]> {
  const rows = (await db('crm_outbox').select('method', 'params').where('dedupe_key', 'like', `in:${linkedid}:%`).orderBy('id')) as { method: string; params: string }[];
  return rows.map((r) => `${r.method.replace('telephony.externalcall.', '')} ${JSON.stringify((JSON.parse(r.params) as { USER_ID: unknown }).USER_ID)}`);
}

/**
 * Inbound CRM cards stored between a call's events: `second` is another instance's connection
 * pool (PostgreSQL) or the same handle (SQLite).
 */
export function inboundCardsContract(label: string, open: () => Promise<{ db: Db; second: Db; close(): Promise<void> }>): void {
describe(`${label}: inbound CRM cards shared by instances`, () => {
  let h: { db: Db; second: Db; close(): Promise<void> };
  beforeAll(async () => {
    h = await open();
  });
  afterAll(async () => {
    await h.close();
  });

  it('steps answered by two instances and a restart in between: every card shown is hidden, finished once with the answerer', async () => {
    const L1 = `L1-${crypto.randomBytes(4).toString('hex')}`;
    const a = instance(h.db);
    const b = instance(h.second);
    const q = (state: string, result: string) => ({ did: '74951234500', state, result, caller: '89161234567', uniqueid: 'u1', linkedid: L1 });
    // Instance A: the ordered group rings user 1.
    let s = a.service.step(q('', '')).state;
    await a.cards.idle();
    // Instance B: user 1 did not answer, user 2 rings.
    s = b.service.step(q(s, 'NOANSWER')).state;
    await b.cards.idle();
    // A restarted (a fresh process on the same database): nobody answered, the whole group rings.
    const a2 = instance(h.db);
    a2.service.step(q(s, 'NOANSWER'));
    await a2.cards.idle();
    // B reads the answer (AMI), A2 the end of the call.
    b.service.answered(L1, 'PJSIP/102-0000002a');
    await b.cards.idle();
    a2.service.ended(L1, null);
    await a2.cards.idle();
    expect(await writes(h.db, L1)).toEqual([
      'register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'show ["1","3"]', 'hide ["2","1"]', 'finish "3"',
    ]);
    const finish = (await h.db('crm_outbox').where({ dedupe_key: `in:${L1}:finish` }).first()) as { params: string };
    expect(JSON.parse(finish.params)).toMatchObject({ USER_ID: '3', STATUS_CODE: '200' });
    // The call is over: its card row is gone.
    expect(await h.db('inbound_cards').where({ linkedid: L1 }).first()).toBeUndefined();
  });

  it('the same answer read by two instances (both on AMI) hides the other cards once', async () => {
    const L2 = `L2-${crypto.randomBytes(4).toString('hex')}`;
    const a = instance(h.db);
    const b = instance(h.second);
    let state = '';
    for (const result of ['', 'NOANSWER', 'NOANSWER']) state = a.service.step({ did: '74951234500', state, result, caller: '89161234567', uniqueid: 'u2', linkedid: L2 }).state;
    await a.cards.idle();
    a.service.answered(L2, 'PJSIP/102-00000001');
    b.service.answered(L2, 'PJSIP/102-00000001');
    await Promise.all([a.cards.idle(), b.cards.idle()]);
    b.service.ended(L2, null);
    await b.cards.idle();
    expect(await writes(h.db, L2)).toEqual(['register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'show ["1","3"]', 'hide ["2","1"]', 'finish "3"']);
  });
});
}
