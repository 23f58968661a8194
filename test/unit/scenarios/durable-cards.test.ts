import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { NewOutboxEntry } from '../../../src/app/crm/handoff-ports.ts';
import { DurableInboundCards, type InboundCardStore } from '../../../src/app/inbound/durable-cards.ts';
import { InboundCrm, type CardSnapshot } from '../../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { inboundRules, WEDNESDAY_NOON } from './support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers: [{ number: '+74951234500', scenario: main }]
scenarios:
  - id: main
    steps: [{ group: ordered }]
groups:
  - { id: ordered, strategy: order, ringTime: 5, members: [1, 2] }
`);

/** A card store in memory that can be made to fail. */
function store() {
  const rows = new Map<string, CardSnapshot>();
  let failing = false;
  const s: InboundCardStore & { rows: Map<string, CardSnapshot>; fail(on: boolean): void } = {
    rows,
    fail: (on) => { failing = on; },
    load: (id) => (failing ? Promise.reject(new Error('database gone')) : Promise.resolve(rows.get(id) ?? null)),
    save: (card) => (failing ? Promise.reject(new Error('database gone')) : Promise.resolve(void rows.set(card.linkedid, card))),
    remove: (id) => (failing ? Promise.reject(new Error('database gone')) : Promise.resolve(void rows.delete(id))),
    purgeBefore: () => Promise.resolve(0),
  };
  return s;
}

function setup(cardStore: InboundCardStore) {
  const entries: NewOutboxEntry[] = [];
  const outbox = {
    enqueueMany: (list: readonly NewOutboxEntry[]) => Promise.resolve(list.map((e) => {
      const i = entries.findIndex((x) => x.dedupeKey === e.dedupeKey);
      if (i < 0) entries.push(e);
      return { id: i < 0 ? entries.length : i + 1 };
    })),
  };
  const rules = { current: () => RULES };
  const cards = new DurableInboundCards({ crm: new InboundCrm({ outbox, rules, now: () => WEDNESDAY_NOON, logger: silentLogger }), store: cardStore, now: () => WEDNESDAY_NOON, logger: silentLogger });
  const service = new InboundService({ rules, now: () => WEDNESDAY_NOON, random: () => 0, observe: cards.observe, events: cards });
  const writes = () => entries.map((e) => `${e.method.replace('telephony.externalcall.', '')} ${JSON.stringify(e.params.USER_ID)}`);
  return { cards, service, writes };
}

describe('inbound cards stored between events', () => {
  it('the card is stored while the call lasts and removed when it ends', async () => {
    const s = store();
    const { cards, service } = setup(s);
    service.step({ did: '74951234500', state: '', result: '', caller: '89161234567', uniqueid: 'u', linkedid: 'L' });
    await cards.idle('L');
    expect(s.rows.get('L')).toMatchObject({ assigned: '1', shown: ['1'] });
    service.ended('L', null);
    await cards.idle();
    expect(s.rows.size).toBe(0);
  });

  it('the database away in the middle of a call: this instance goes on with its own copy, nothing is lost', async () => {
    const s = store();
    const { cards, service, writes } = setup(s);
    const first = service.step({ did: '74951234500', state: '', result: '', caller: '89161234567', uniqueid: 'u', linkedid: 'L' });
    await cards.idle('L');
    s.fail(true);
    service.step({ did: '74951234500', state: first.state, result: 'NOANSWER', caller: '89161234567', uniqueid: 'u', linkedid: 'L' });
    await cards.idle('L');
    service.answered('L', 'PJSIP/101-00000001');
    service.ended('L', null);
    await cards.idle();
    expect(writes()).toEqual(['register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'finish "2"']);
  });

  it('the database back after an event it missed: the newer copy here wins over the stale row', async () => {
    const s = store();
    const { cards, service, writes } = setup(s);
    const first = service.step({ did: '74951234500', state: '', result: '', caller: '89161234567', uniqueid: 'u', linkedid: 'L' });
    await cards.idle('L');
    s.fail(true);
    service.step({ did: '74951234500', state: first.state, result: 'NOANSWER', caller: '89161234567', uniqueid: 'u', linkedid: 'L' });
    await cards.idle('L');
    s.fail(false);
    service.answered('L', 'PJSIP/101-00000001');
    await cards.idle('L');
    expect(s.rows.get('L')).toMatchObject({ shown: ['2'], answeredBy: '2' });
    service.ended('L', null);
    await cards.idle();
    expect(writes()).toEqual(['register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'finish "2"']);
    expect(s.rows.size).toBe(0);
  });
});
