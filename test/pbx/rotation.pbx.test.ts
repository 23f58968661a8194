import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNumber, PbxTier, TIER_START_MS } from './harness.ts';
import { hasLab, LAB_SKIP_REASON } from './lab-asterisk.ts';

describe.skipIf(!hasLab)('real Asterisk: rotate or stop', () => {
  let tier: PbxTier;
  beforeAll(async () => { tier = await PbxTier.start(); }, TIER_START_MS);
  afterAll(async () => { await tier?.stop(); });

  it('a desk phone dials +7…: congestion (34) rotates to the next trunk, which answers; 200 with the real talk time', async () => {
    const number = labNumber(1, ['congestion', 'answer']);
    const linkedid = await tier.deskCall(number);
    await tier.callGone(linkedid);
    expect(tier.attemptsOf(linkedid)).toEqual([
      { trunk: 't1', exten: number.slice(1), callerId: '74951234510' },
      { trunk: 't2', exten: number.slice(1), callerId: '74951234510' },
    ]);
    const call = await tier.registered(number);
    const finish = await tier.finished(call.CALL_ID);
    expect(finish.STATUS_CODE).toBe('200');
    expect(Math.abs(Number(finish.DURATION) - tier.talkSeconds(linkedid))).toBeLessThanOrEqual(1);
    await tier.recordAttached(call.CALL_ID);
  });
});

describe.skipIf(hasLab)('real Asterisk tier', () => {
  it.skip(LAB_SKIP_REASON, () => undefined);
});
