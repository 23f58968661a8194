import { describe, expect, it } from 'vitest';
import { crmStatusFor, type AttemptOutcome, type CallEnd } from '../../../src/core/outcome/crm-status.ts';

const a = (dialStatus: string, hangupCause: number | null): AttemptOutcome => ({ dialStatus, hangupCause });
const routed = (attempts: AttemptOutcome[], exhausted = false): CallEnd => ({ kind: 'routed', attempts, exhausted });

// DECISIONS §17, row by row.
describe('crmStatusFor: STATUS_CODE for telephony.externalCall.finish', () => {
  it.each<[string, CallEnd, string]>([
    ['answered', routed([a('CONGESTION', 34), a('ANSWER', 16)]), '200'],
    ['busy (cause 0, as the lab shows)', routed([a('BUSY', 0)]), '486'],
    ['no answer', routed([a('NOANSWER', 0)]), '304'],
    ['rejected: cause 21', routed([a('CHANUNAVAIL', 68), a('CHANUNAVAIL', 21)]), '603'],
    ['unallocated number: cause 1', routed([a('CHANUNAVAIL', 1)]), '404'],
    ['invalid number format: cause 28', routed([a('CONGESTION', 28)]), '404'],
    ['no user responding: cause 18', routed([a('CHANUNAVAIL', 18)]), '480'],
    ['no answer from user: cause 19', routed([a('CONGESTION', 19)]), '480'],
    ['number changed: cause 22', routed([a('CHANUNAVAIL', 22)]), '404'],
    ['redirected: cause 23', routed([a('CHANUNAVAIL', 23)]), '404'],
    ['the manager hung up before the client answered', routed([a('CANCEL', 0)]), '603-S'],
    ['every attempt failed technically', routed([a('CONGESTION', 34), a('CHANUNAVAIL', 41), a('CHANUNAVAIL', 0)], true), '503'],
    ['every attempt failed for lack of credit (cause 68)', routed([a('CHANUNAVAIL', 68), a('CHANUNAVAIL', 68)], true), '402'],
    ['refused by policy', { kind: 'refused-policy', reason: 'LINE_NOT_ALLOWED' }, '403'],
    ['invalid number', { kind: 'invalid-number', reason: 'invalid phone number "abc"' }, '404'],
    ['the manager\'s own phone never answered', { kind: 'manager-not-answered', reason: 'OriginateResponse Failure' }, '603-S'],
    ['the manager cancelled', { kind: 'manager-cancelled' }, '603-S'],
    ['not covered: a technical failure that stopped on cause 17', routed([a('CHANUNAVAIL', 17)]), 'OTHER'],
    ['not covered: an unknown dial status', routed([a('TORTURE', 0)]), 'OTHER'],
  ])('%s → %s', (_, end, code) => {
    expect(crmStatusFor(end).code).toBe(code);
  });

  it('names the reason where Bitrix24 shows one', () => {
    expect(crmStatusFor({ kind: 'manager-not-answered', reason: 'OriginateResponse Failure' }).failedReason).toBe('OriginateResponse Failure');
    expect(crmStatusFor(routed([a('CHANUNAVAIL', 17)])).failedReason).toContain('17');
    expect(crmStatusFor(routed([a('ANSWER', 16)])).failedReason).toBeNull();
  });
});
