import { afterEach, describe, expect, it } from 'vitest';
import { DialerRepository } from '../../../src/adapters/db/repositories/dialer-repository.ts';
import { defaultPacing } from '../../../src/core/pacing/settings.ts';
import { startService, waitFor, type Service } from './harness.ts';

/**
 * The auto-dialer through the whole service and both doubles: the PBX double plays the shipped
 * extensions_dialer.conf (the customer leg through the connector's route loop, the held operator
 * bridged on answer), the card and the call record go through the CRM outbox to the Bitrix24 double.
 */
describe('the auto-dialer end to end (PBX and Bitrix24 doubles)', () => {
  let s: Service | null = null;
  afterEach(async () => {
    await s?.close();
    s = null;
  });

  it('an answered lead is put through to the operator with its card; an unanswered one is called again in 90 min; one CRM call each', async () => {
    // Numbers ending in 1 answer; the others ring out.
    s = await startService({
      trunks: (_dial, info) => (info.number.endsWith('1') ? { kind: 'answer', ringMs: 1000, talkMs: 3000 } : { kind: 'noanswer' }),
      env: { DIALER_TICK_MS: '20' },
    });
    const store = new DialerRepository(s.connector.db);
    const now = Date.now();
    // User 2 is in the sales department (10), which the shipped crm.yaml whitelists.
    await store.saveOperator({ id: '2', name: null, dial: 'PJSIP/101', stateDevice: 'PJSIP/101' }, now);
    await store.setOnline('2', true, null, now);
    await store.saveCampaign({
      id: 'e2e', name: 'e2e', status: 'running', department: '10', operators: ['2'], source: null, createdAt: now,
      settings: { ...defaultPacing('Europe/Moscow'), callingHours: { from: 0, to: 1440 } },
    });
    await store.addLeads('e2e', [
      { number: '+79261110001', digits: '79261110001', entityType: 'LEAD', entityId: '7', title: 'Ответит' },
      { number: '+79261110002', digits: '79261110002', entityType: 'LEAD', entityId: '8', title: 'Не ответит' },
    ], now);

    const leads = async () => new Map((await store.listLeads('e2e', 10)).map((l) => [l.digits, l]));
    await waitFor('both leads called', async () => [...(await leads()).values()].every((l) => l.attempts === 1 && l.status !== 'calling'), 20_000);
    const after = await leads();
    expect(after.get('79261110001')).toMatchObject({ status: 'done', lastOutcome: 'answered' });
    const unanswered = after.get('79261110002');
    expect(unanswered).toMatchObject({ status: 'pending', lastOutcome: 'no-answer' });
    expect((unanswered?.nextAt ?? 0) - Date.now()).toBeGreaterThan(89 * 60_000);
    expect((await store.listOperators(['2']))[0]).toMatchObject({ online: true, callId: null });

    const bitrix24 = s.bitrix24;
    await waitFor('both CRM calls finished', () => [...bitrix24.state.calls.values()].filter((c) => c.finished !== null).length === 2, 20_000);
    const calls = [...bitrix24.state.calls.values()];
    expect(calls).toHaveLength(2);
    const answered = calls.find((c) => c.PHONE_NUMBER === '+79261110001');
    expect(answered).toMatchObject({ USER_ID: '2', TYPE: 1, crmEntity: { type: 'LEAD', id: '7' }, shownTo: ['2'], finished: expect.objectContaining({ STATUS_CODE: '200' }) });
    const rang = calls.find((c) => c.PHONE_NUMBER === '+79261110002');
    expect(rang).toMatchObject({ USER_ID: '2', crmEntity: { type: 'LEAD', id: '8' } });
    expect(rang?.shownTo).toBeUndefined();
    expect(rang?.finished?.STATUS_CODE).not.toBe('200');
  });
});
