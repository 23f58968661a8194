import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { NewOutboxEntry } from '../../../src/app/crm/handoff-ports.ts';
import { InboundCrm } from '../../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { inboundRules, WEDNESDAY_NOON } from './support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers: [{ number: '+74951234500', scenario: main, line: sales-line }]
scenarios:
  - id: main
    createLeads: true
    steps: [{ play: welcome }, { group: ordered }, { group: all }]
groups:
  - { id: ordered, strategy: order, ringTime: 5, members: [1, 2] }
  - { id: all, ringTime: 5, members: [1, 2, 3] }
`);

/** An outbox that keeps what was enqueued (deduplicated by key, as the real one). */
function outbox() {
  const entries: NewOutboxEntry[] = [];
  return {
    entries,
    enqueueMany: (list: readonly NewOutboxEntry[]) => {
      const ids = list.map((e) => {
        const i = entries.findIndex((x) => x.dedupeKey === e.dedupeKey);
        if (i >= 0) return { id: i + 1 };
        entries.push(e);
        return { id: entries.length };
      });
      return Promise.resolve(ids);
    },
  };
}

async function call(results: string[], o: { answeredChannel?: string; caller?: string } = {}) {
  const box = outbox();
  let now = WEDNESDAY_NOON;
  const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => now, logger: silentLogger });
  const service = new InboundService({ rules: { current: () => RULES }, now: () => now, random: () => 0, observe: crm.observe });
  let state = '';
  let result = '';
  for (;;) {
    const a = await service.step({ did: '74951234500', state, result, caller: o.caller ?? '89161234567', uniqueid: 'u1', linkedid: 'L1' });
    state = a.state;
    if (state === '' || results.length === 0) break;
    result = results.shift() ?? '';
  }
  if (o.answeredChannel) {
    crm.answered('L1', o.answeredChannel);
    now += 42_000;
  }
  crm.ended('L1', '/monitor/u1.wav');
  await new Promise((r) => setImmediate(r));
  return box.entries.map((e) => ({ method: e.method.replace('telephony.externalcall.', ''), params: e.params }));
}

describe('inbound calls in the CRM', () => {
  it('the card follows the ringing phones; the answerer keeps it, the others lose it; finished with the answerer and the talk time', async () => {
    const writes = await call(['', 'NOANSWER', 'NOANSWER'], { answeredChannel: 'PJSIP/102-0000002a' });
    expect(writes.map((w) => `${w.method} ${JSON.stringify(w.params.USER_ID)}`)).toEqual([
      // 2's card stays up from the ordered group into the all-at-once group: no flicker.
      'register "1"', 'show ["1"]', 'hide ["1"]', 'show ["2"]', 'show ["1","3"]', 'hide ["2","1"]', 'finish "3"',
    ]);
    expect(writes[0]?.params).toMatchObject({ TYPE: 2, PHONE_NUMBER: '+79161234567', LINE_NUMBER: 'sales-line', CRM_CREATE: 1, EXTERNAL_CALL_ID: 'L1', SHOW: 0 });
    expect(writes.at(-1)?.params).toMatchObject({ USER_ID: '3', STATUS_CODE: '200', DURATION: 42 });
  });

  it('nobody answers: finished as missed (304) with the user it was assigned to, no recording', async () => {
    const writes = await call(['', 'NOANSWER', 'NOANSWER', 'NOANSWER']);
    expect(writes.at(-1)).toMatchObject({ method: 'finish', params: { USER_ID: '1', STATUS_CODE: '304', DURATION: 0 } });
    expect(writes.map((w) => w.method)).not.toContain('attachRecord');
  });

  it('a caller who leaves before any phone rings: nothing registered', async () => {
    expect(await call([])).toEqual([]);
  });
});
