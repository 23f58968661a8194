import { afterEach, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../../../src/adapters/db/repositories/outbox-repository.ts';
import { InboundCardsRepository } from '../../../src/adapters/db/repositories/inbound-cards-repository.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { DurableInboundCards } from '../../../src/app/inbound/durable-cards.ts';
import { InboundCrm } from '../../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import type { Db } from '../../../src/adapters/db/connection.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { inboundRules, WEDNESDAY_NOON } from '../../unit/scenarios/support.ts';

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

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

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

async function writes(db: Db): Promise<string[]> {
  const rows = (await db('crm_outbox').select('method', 'params').orderBy('id')) as { method: string; params: string }[];
  return rows.map((r) => `${r.method.replace('telephony.externalcall.', '')} ${JSON.stringify((JSON.parse(r.params) as { USER_ID: unknown }).USER_ID)}`);
}

describe('inbound CRM cards shared by instances', () => {
  it('steps answered by two instances and a restart in between: every card shown is hidden, finished once with the answerer', async () => {
    const t = await tempSqliteDb();
    close = t.close;
    const a = instance(t.db);
    const b = instance(t.db);
    const q = (state: string, result: string) => ({ did: '74951234500', state, result, caller: '89161234567', uniqueid: 'u1', linkedid: 'L1' });
    // Instance A: the ordered group rings user 1.
    let s = a.service.step(q('', '')).state;
    await a.cards.idle();
    // Instance B: user 1 did not answer, user 2 rings.
    s = b.service.step(q(s, 'NOANSWER')).state;
    await b.cards.idle();
    // A restarted (a fresh process on the same database): nobody answered, the whole group rings.
    const a2 = instance(t.db);
    a2.service.step(q(s, 'NOANSWER'));
    await a2.cards.idle();
    // B reads the answer (AMI), A2 the end of the call.
    b.service.answered('L1', 'PJSIP/102-0000002a');
    await b.cards.idle();
    a2.service.ended('L1', null);
    await a2.cards.idle();
    expect(await writes(t.db)).toEqual([
      'register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'show ["1","3"]', 'hide ["2","1"]', 'finish "3"',
    ]);
    const finish = (await t.db('crm_outbox').where({ method: 'telephony.externalcall.finish' }).first()) as { params: string };
    expect(JSON.parse(finish.params)).toMatchObject({ USER_ID: '3', STATUS_CODE: '200' });
    // The call is over: its card row is gone.
    expect(await t.db('inbound_cards').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  });

  it('the same answer read by two instances (both on AMI) hides the other cards once', async () => {
    const t = await tempSqliteDb();
    close = t.close;
    const a = instance(t.db);
    const b = instance(t.db);
    let state = '';
    for (const result of ['', 'NOANSWER', 'NOANSWER']) state = a.service.step({ did: '74951234500', state, result, caller: '89161234567', uniqueid: 'u2', linkedid: 'L2' }).state;
    await a.cards.idle();
    a.service.answered('L2', 'PJSIP/102-00000001');
    b.service.answered('L2', 'PJSIP/102-00000001');
    await Promise.all([a.cards.idle(), b.cards.idle()]);
    b.service.ended('L2', null);
    await b.cards.idle();
    expect(await writes(t.db)).toEqual(['register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'show ["1","3"]', 'hide ["2","1"]', 'finish "3"']);
  });
});
