import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { NewOutboxEntry } from '../../../src/app/crm/handoff-ports.ts';
import { InboundCrm } from '../../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { inboundRules, WEDNESDAY_NOON } from './support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers:
  - { number: '+74951234500', scenario: forward }
  - { number: '+74951234501', scenario: forward-anonymous }
  - { number: '+74951234502', scenario: ring-then-forward }
scenarios:
  - id: forward
    department: 10
    crmUser: 4
    steps: [{ external: '+79261234567' }, { employee: 2 }]
  - id: forward-anonymous
    department: 10
    steps: [{ external: '+79261234567' }]
  - id: ring-then-forward
    department: 10
    crmUser: 4
    steps: [{ employee: 1 }, { external: '+79261234567' }]
`);

/** Walks a call to `did` through the given dial results, then answers (if a channel is given) and ends it. */
async function call(did: string, results: string[], answeredChannel?: string) {
  const entries: NewOutboxEntry[] = [];
  const outbox = {
    enqueueMany: (list: readonly NewOutboxEntry[]) => Promise.resolve(list.map((e) => {
      const i = entries.findIndex((x) => x.dedupeKey === e.dedupeKey);
      if (i >= 0) return { id: i + 1 };
      entries.push(e);
      return { id: entries.length };
    })),
  };
  let now = WEDNESDAY_NOON;
  const crm = new InboundCrm({ outbox, rules: { current: () => RULES }, now: () => now, logger: silentLogger });
  const service = new InboundService({ rules: { current: () => RULES }, now: () => now, random: () => 0, observe: crm.observe });
  let state = '';
  let result = '';
  for (;;) {
    state = service.step({ did, state, result, caller: '89161234567', uniqueid: 'u1', linkedid: 'L1' }).state;
    if (state === '' || results.length === 0) break;
    result = results.shift() ?? '';
  }
  if (answeredChannel) {
    crm.answered('L1', answeredChannel);
    now += 30_000;
  }
  crm.ended('L1', null);
  await crm.flushed();
  return entries.map((e) => ({ method: e.method.replace('telephony.externalcall.', ''), params: e.params }));
}

describe('inbound calls redirected outside in the CRM', () => {
  it('forwarded to an external number before any manager rang: registered TYPE 3 with the scenario\'s crmUser, finished answered', async () => {
    const writes = await call('74951234500', [], 'Local/79261234567@connector-inbound-forward-00000001;1');
    expect(writes.map((w) => w.method)).toEqual(['register', 'finish']);
    expect(writes[0]?.params).toMatchObject({ TYPE: 3, USER_ID: '4', PHONE_NUMBER: '+79161234567', LINE_NUMBER: '+74951234500' });
    expect(writes[1]?.params).toMatchObject({ USER_ID: '4', STATUS_CODE: '200', DURATION: 30 });
  });

  it('the forward fails and an employee rings next: still TYPE 3 (registered at the forward), the card shown to the employee, the missed call theirs (the last one rung)', async () => {
    const writes = await call('74951234500', ['BUSY', 'NOANSWER']);
    expect(writes.map((w) => `${w.method} ${JSON.stringify(w.params.USER_ID)}`)).toEqual(['register "4"', 'show ["2"]', 'hide ["2"]', 'finish "2"']);
    expect(writes[0]?.params).toMatchObject({ TYPE: 3 });
  });

  it('a scenario without crmUser: a call sent outside before anyone rang is not written', async () => {
    expect(await call('74951234501', [], 'Local/79261234567@connector-inbound-forward-00000001;1')).toEqual([]);
  });

  it('a manager rang first: registered TYPE 2 when the phone rang (Bitrix24 cannot change it later)', async () => {
    const writes = await call('74951234502', ['NOANSWER'], 'Local/79261234567@connector-inbound-forward-00000001;1');
    expect(writes[0]).toMatchObject({ method: 'register', params: { TYPE: 2, USER_ID: '1' } });
  });
});
