import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { DialerRepository } from '../../src/adapters/db/repositories/dialer-repository.ts';
import type { Campaign } from '../../src/app/dialer/model.ts';
import { nextForLead } from '../../src/core/pacing/retry-plan.ts';
import { defaultPacing } from '../../src/core/pacing/settings.ts';

/** Child tables first. */
export const DIALER_TABLES = ['dialer_attempts', 'dialer_leads', 'dialer_campaign_operators', 'dialer_campaigns', 'dialer_operators', 'dialer_dnc'];

export interface DialerDbHandle {
  readonly db: Db;
  clean(): Promise<void>;
  close(): Promise<void>;
}

const T0 = Date.UTC(2027, 0, 15, 7, 0, 0);
const MIN = 60_000;

function campaign(id: string, over: Partial<Campaign> = {}): Campaign {
  return { id, name: id, status: 'running', department: '10', operators: ['1', '2'], settings: defaultPacing('Europe/Moscow'), source: null, createdAt: T0, ...over };
}

const lead = (digits: string) => ({ number: `+${digits}`, digits, entityType: 'LEAD', entityId: digits.slice(-3), title: null });

/** The dialer's repository: the same behaviour on SQLite and PostgreSQL. */
export function dialerContract(name: string, open: () => Promise<DialerDbHandle>): void {
  describe(`dialer store (${name})`, () => {
    let h: DialerDbHandle;
    let store: DialerRepository;
    beforeAll(async () => {
      h = await open();
      store = new DialerRepository(h.db);
    });
    beforeEach(async () => h.clean());
    afterAll(async () => h?.close());

    it('a campaign keeps its settings and team; statuses change', async () => {
      await store.saveCampaign(campaign('c1', { status: 'draft' }));
      await store.saveCampaign(campaign('c1', { status: 'draft', operators: ['2', '3'] }));
      expect(await store.getCampaign('c1')).toEqual(campaign('c1', { status: 'draft', operators: ['2', '3'] }));
      expect(await store.setStatus('c1', 'running', T0)).toBe(true);
      expect(await store.setStatus('nope', 'running', T0)).toBe(false);
      expect((await store.listCampaigns('running')).map((c) => c.id)).toEqual(['c1']);
    });

    it('leads: duplicates skipped, due order (reserved, called before, longest waiting), holds', async () => {
      await store.saveCampaign(campaign('c1'));
      expect(await store.addLeads('c1', [lead('79260000001'), lead('79260000002'), lead('79260000001')], T0)).toEqual({ added: 2, duplicates: 1 });
      expect(await store.addLeads('c1', [lead('79260000003')], T0 + 1)).toEqual({ added: 1, duplicates: 0 });
      const [a, b, c] = await store.dueLeads('c1', T0 + 1, 10);
      expect([a?.digits, b?.digits, c?.digits]).toEqual(['79260000001', '79260000002', '79260000003']);
      expect(await store.dueLeads('c1', T0, 10)).toHaveLength(2);

      // Lead 3 was called before: it goes first next time.
      await store.startAttempt({ leadId: c!.id, campaignId: 'c1', operatorId: '1', callId: 'call-3', mode: 'progressive', startedAt: T0 });
      expect((await store.dueLeads('c1', T0 + 1, 10)).map((l) => l.digits)).toEqual(['79260000001', '79260000002']);
      const s = defaultPacing('Europe/Moscow');
      const closed = await store.endAttempt('call-3', { outcome: 'busy', dialStatus: 'BUSY', hangupCause: 17, endedAt: T0 + 10_000 }, (l) => nextForLead('busy', l.attempts, s.maxAttempts, s.retry, T0));
      expect(closed?.lead).toMatchObject({ status: 'pending', attempts: 1, lastOutcome: 'busy', nextAt: T0 + 5 * MIN });
      expect(await store.endAttempt('call-3', { outcome: 'busy', dialStatus: 'BUSY', hangupCause: 17, endedAt: T0 }, () => ({ kind: 'done', reason: 'x' }))).toBeNull();
      expect((await store.dueLeads('c1', T0 + 5 * MIN, 10)).map((l) => l.digits)).toEqual(['79260000003', '79260000001', '79260000002']);
      expect(await store.attemptStarts([c!.id])).toEqual(new Map([[c!.id, [T0]]]));

      await store.applyHolds([{ leadId: a!.id, kind: 'blocked', reason: 'on the do-not-call list' }, { leadId: b!.id, kind: 'later', until: T0 + 60 * MIN, reason: 'calling-hours' }]);
      expect((await store.dueLeads('c1', T0 + 5 * MIN, 10)).map((l) => l.digits)).toEqual(['79260000003']);
      expect(await store.progress('c1')).toEqual({ leads: { pending: 2, calling: 0, done: 0, blocked: 1 }, outcomes: { busy: 1 }, attempts: 1 });
    });

    it('the latest ended customer-first calls of a campaign, newest first, all or of one outcome (the pacing\'s history after a restart)', async () => {
      await store.saveCampaign(campaign('c1'));
      await store.saveCampaign(campaign('c2'));
      await store.addLeads('c1', [lead('79260000001')], T0);
      await store.addLeads('c2', [lead('79260000002')], T0);
      const [l1] = await store.listLeads('c1', 1);
      const [l2] = await store.listLeads('c2', 1);
      const call = async (callId: string, leadId: string, campaignId: string, mode: 'progressive' | 'preview', at: number, outcome: 'answered' | 'no-answer' | null) => {
        await store.startAttempt({ leadId, campaignId, operatorId: null, callId, mode, startedAt: at });
        if (outcome === 'answered') await store.markAnswered(callId, at + 8_000);
        if (outcome) await store.endAttempt(callId, { outcome, dialStatus: outcome === 'answered' ? 'ANSWER' : 'NOANSWER', hangupCause: 16, endedAt: at + 60_000 }, () => ({ kind: 'retry', at: T0, reserveOperator: false }));
      };
      await call('a1', l1!.id, 'c1', 'progressive', T0, 'answered');
      await call('a2', l1!.id, 'c1', 'progressive', T0 + MIN, 'no-answer');
      await call('a3', l1!.id, 'c1', 'progressive', T0 + 2 * MIN, 'answered');
      await call('a4', l1!.id, 'c1', 'preview', T0 + 3 * MIN, 'answered');
      await call('a5', l2!.id, 'c2', 'progressive', T0 + 4 * MIN, 'answered');
      await call('a6', l1!.id, 'c1', 'progressive', T0 + 5 * MIN, null);

      expect((await store.recentEndedAttempts('c1', 10)).map((a) => a.callId)).toEqual(['a3', 'a2', 'a1']);
      expect((await store.recentEndedAttempts('c1', 2)).map((a) => a.callId)).toEqual(['a3', 'a2']);
      expect(await store.recentEndedAttempts('c1', 10, 'answered')).toEqual([
        expect.objectContaining({ callId: 'a3', startedAt: T0 + 2 * MIN, answeredAt: T0 + 2 * MIN + 8_000, endedAt: T0 + 3 * MIN, outcome: 'answered' }),
        expect.objectContaining({ callId: 'a1', startedAt: T0, answeredAt: T0 + 8_000, endedAt: T0 + MIN, outcome: 'answered' }),
      ]);
    });

    it('an abandoned call\'s retry is reserved and ordered first', async () => {
      await store.saveCampaign(campaign('c1'));
      await store.addLeads('c1', [lead('79260000001'), lead('79260000002')], T0);
      const second = (await store.dueLeads('c1', T0, 10))[1]!;
      await store.startAttempt({ leadId: second.id, campaignId: 'c1', operatorId: '1', callId: 'x', mode: 'progressive', startedAt: T0 });
      await store.endAttempt('x', { outcome: 'abandoned', dialStatus: 'ANSWER', hangupCause: 16, endedAt: T0 }, () => ({ kind: 'retry', at: T0, reserveOperator: true }));
      const due = await store.dueLeads('c1', T0, 10);
      expect(due.map((l) => [l.digits, l.reserveOperator])).toEqual([['79260000002', true], ['79260000001', false]]);
    });

    it('an operator is held for one call at a time, only while on line', async () => {
      await store.saveOperator({ id: '1', name: 'Анна', dial: 'PJSIP/101', stateDevice: 'PJSIP/101' }, T0);
      expect(await store.hold('1', 'a', T0)).toBe(false); // off line
      expect(await store.setOnline('1', true, null, T0)).toBe(true);
      expect(await store.hold('1', 'a', T0)).toBe(true);
      expect(await store.hold('1', 'b', T0)).toBe(false);
      await store.release('1', 'b', T0); // not its call: still held
      expect((await store.listOperators(['1']))[0]).toMatchObject({ online: true, callId: 'a' });
      await store.release('1', 'a', T0);
      await store.setOnline('1', false, 'did not answer an offered call', T0);
      expect(await store.listOperators()).toEqual([{ id: '1', name: 'Анна', dial: 'PJSIP/101', stateDevice: 'PJSIP/101', online: false, callId: null, offlineReason: 'did not answer an offered call' }]);
    });

    it('the do-not-call list: numbers and prefixes, no duplicates', async () => {
      expect(await store.addDnc([{ digits: '79261234567', kind: 'number' }, { digits: '7800', kind: 'prefix' }], T0)).toBe(2);
      expect(await store.addDnc([{ digits: '7800', kind: 'prefix' }, { digits: '7800', kind: 'number' }], T0)).toBe(1);
      expect(await store.removeDnc({ digits: '7800', kind: 'number' })).toBe(true);
      expect(await store.listDnc()).toEqual([{ digits: '7800', kind: 'prefix' }, { digits: '79261234567', kind: 'number' }]);
    });
  });
}
