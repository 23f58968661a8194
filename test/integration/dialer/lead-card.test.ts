import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { planCallRecordWrites } from '../../../src/app/crm/call-record-writes.ts';
import { enqueuePlans } from '../../../src/app/crm/enqueue-plan.ts';
import { bitrix24LeadCard } from '../../../src/composition/dialer-crm.ts';
import { crmHarness, type Harness } from '../crm/harness.ts';
import { callRecord } from '../crm/fixtures.ts';

/**
 * The dialer's lead card over the real CRM outbox, worker and SDK against the Bitrix24 double:
 * the register is a durable CRM write, the show has a deadline, and the call's finish lands on the
 * register's CALL_ID (one CRM call per dialer call, with the lead's entity).
 */
describe("the dialer's lead card", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const setup = async () => {
    h = await crmHarness({ double: { rateLimit: false } });
    return bitrix24LeadCard({ outbox: h.outbox, results: h.results, gateway: () => h.connection.gateway(), rules: h.rules, now: h.clock.now, logger: silentLogger });
  };
  // User 1 (Sales) is on the CRM whitelist, user 9 (HR) is not.
  const placed = (operatorId: string) => ({
    callId: 'c2c-dl-1', operatorId, e164: '+79261234567', entityType: 'LEAD', entityId: '7', externalId: 'c2c-dl-1-a', at: Date.UTC(2026, 10, 23, 9, 0, 0),
  });
  const ended = (operatorId: string) => callRecord({
    callId: 'c2c-dl-1', linkedid: 'c2c-dl-1-a', origin: 'dialer', userId: operatorId, extension: null, b24Line: null, recording: null,
  });

  it('registered with the operator and the lead, shown within the deadline, finished on the same CRM call', async () => {
    const card = await setup();
    await card.register(placed('1'));
    expect(await card.show({ callId: 'c2c-dl-1', operatorId: '1' }, 2000)).toBe(true);
    await enqueuePlans(h.outbox, [planCallRecordWrites(ended('1'), h.rules.current()).writes], h.clock.now());
    await h.worker.drainUntilIdle();
    const calls = [...h.double.state.calls.values()];
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ USER_ID: '1', TYPE: 1, EXTERNAL_CALL_ID: 'c2c-dl-1-a', crmEntity: { type: 'LEAD', id: '7' }, shownTo: ['1'] });
    expect(calls[0]?.finished).toMatchObject({ STATUS_CODE: '200', DURATION: 62 });
  });

  it('Bitrix24 down while the customer rings: the card is given up at the deadline, the call is recorded once it is back', async () => {
    const card = await setup();
    await h.double.setOutage('unavailable');
    await card.register(placed('1'));
    expect(await card.show({ callId: 'c2c-dl-1', operatorId: '1' }, 2000)).toBe(false);
    await enqueuePlans(h.outbox, [planCallRecordWrites(ended('1'), h.rules.current()).writes], h.clock.now());
    expect(h.double.state.calls.size).toBe(0);

    await h.double.setOutage('none');
    h.clock.advance(60_000); // past the register's retry backoff
    await h.worker.drainUntilIdle();
    const calls = [...h.double.state.calls.values()];
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ USER_ID: '1', EXTERNAL_CALL_ID: 'c2c-dl-1-a', crmEntity: { type: 'LEAD', id: '7' } });
    expect(calls[0]?.finished).toMatchObject({ STATUS_CODE: '200' });
    expect(calls[0]?.shownTo).toBeUndefined();
    expect(await h.outbox.counts()).toMatchObject({ parked: 0 });
  });

  it('an operator not on the CRM whitelist: nothing is written, neither card nor record', async () => {
    const card = await setup();
    await card.register(placed('9'));
    expect(await card.show({ callId: 'c2c-dl-1', operatorId: '9' }, 2000)).toBe(false);
    expect(planCallRecordWrites(ended('9'), h.rules.current())).toEqual({ writes: [], note: expect.stringContaining('not on the CRM whitelist') });
    await h.worker.drainUntilIdle();
    expect(h.double.state.calls.size).toBe(0);
    expect(await h.outbox.list()).toEqual([]);
  });
});
