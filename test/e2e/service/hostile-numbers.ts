import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allFinishes, mark, originates, postStart, settle, startEventData, startService, type Service } from './harness.ts';

/**
 * Numbers no phone has, sent as Bitrix24 would carry them: refused with the real reason (404,
 * invalid number), nothing dialled, and what is kept of them is bounded and escaped. Run on
 * SQLite here and on PostgreSQL (varchar columns) in the pg lane.
 */
export function hostileNumbersScenario(label: string, env: Readonly<Record<string, string>> = {}): void {
  describe(`numbers from outside (${label})`, () => {
    let s: Service;
    beforeAll(async () => {
      s = await startService({ trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 50, talkMs: 100 } }], env });
    });
    afterAll(async () => {
      await s.close();
    });

    async function clickRaw(number: string): Promise<string> {
      const registered = s.bitrix24.state.registerClickToCall('1', number, '');
      const res = await postStart(s, { ...startEventData(registered.CALL_ID, { userId: '1', number }), PHONE_NUMBER: number });
      expect(res.status).toBe(200);
      return registered.CALL_ID;
    }

    it('a 1000-digit number is refused as an invalid number (404) and nothing is dialled', async () => {
      const since = mark(s);
      const callId = await clickRaw('7'.repeat(1000));
      const { call } = await settle(s, callId);
      expect(originates(s, since)).toBe(0);
      expect(call).toMatchObject({ state: 'stopped', refusalCode: 'INVALID_NUMBER', numberE164: null, number: `${'7'.repeat(63)}…` });
      const finishes = allFinishes(s, callId).map((f) => f.params);
      expect(finishes).toEqual([expect.objectContaining({
        STATUS_CODE: '404',
        FAILED_REASON: `invalid phone number "${'7'.repeat(40)}…" (1000 characters): 1000 digits: longer than E.164 allows (15)`,
      })]);
    });

    it('a number carrying terminal escape sequences is refused, and stored and reported escaped', async () => {
      const since = mark(s);
      const callId = await clickRaw('+7916\u001b[2J\u001b]0;owned\u0007123\u009b4567');
      const { call } = await settle(s, callId);
      expect(originates(s, since)).toBe(0);
      expect(call).toMatchObject({ refusalCode: 'INVALID_NUMBER', number: '+7916\\u001b[2J\\u001b]0;owned\\u0007123\\u009b4567' });
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
      expect(call?.refusalMessage).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
      const reason = allFinishes(s, callId)[0]?.params.FAILED_REASON;
      expect(reason).toContain('"+7916\\u001b[2J\\u001b]0;owned\\u0007123\\u009b4567"');
    });
  });
}
