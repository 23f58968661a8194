import { describe, expect, it } from 'vitest';
import { isoWithZone, planCallRecordWrites } from '../../../src/app/crm/call-record-writes.ts';
import { isCrmWhitelisted, isExcludedNumber } from '../../../src/app/crm/crm-policy.ts';
import { callRecord, compiledTestRules } from '../../integration/crm/fixtures.ts';

const rules = compiledTestRules();

describe('CRM whitelist and excluded numbers (DECISIONS §18)', () => {
  it('whitelists by user, extension and department, sub-departments included', () => {
    expect(isCrmWhitelisted(rules, { userId: '1', extension: null })).toBe(true); // Sales
    expect(isCrmWhitelisted(rules, { userId: null, extension: '102' })).toBe(true); // Sales North, under Sales
    expect(isCrmWhitelisted(rules, { userId: '2', extension: null })).toBe(true); // listed by id
    expect(isCrmWhitelisted(rules, { userId: '9', extension: '109' })).toBe(false); // HR assistant
    expect(isCrmWhitelisted(compiledTestRules({ whitelist: { users: [], extensions: ['109'], departments: [] } }), { userId: '9', extension: null })).toBe(true);
    expect(isCrmWhitelisted(rules, { userId: '77', extension: null })).toBe(false); // unknown user
  });

  it('matches excluded numbers in any notation, and excluded prefixes', () => {
    expect(isExcludedNumber(rules, '+74950001122')).toBe(true);
    expect(isExcludedNumber(rules, '7 (495) 000-11-22')).toBe(true);
    expect(isExcludedNumber(rules, '+78001234567')).toBe(true);
    expect(isExcludedNumber(rules, '+74950001123')).toBe(false);
  });
});

describe('writes planned for an ended call', () => {
  it("an auto-dialer call: its finish and recording chain on the register the dialer enqueued (same key), the card's entity kept there", () => {
    const rec = callRecord({ callId: 'c2c-dl-9', linkedid: 'c2c-dl-9-a', origin: 'dialer', userId: '1', extension: null, recording: '/var/spool/asterisk/monitor/x.wav' });
    const [register, finish, attach] = planCallRecordWrites(rec, rules).writes;
    expect(register).toMatchObject({ key: 'dialer:c2c-dl-9:register', method: 'telephony.externalcall.register', params: { USER_ID: '1', TYPE: 1, EXTERNAL_CALL_ID: 'c2c-dl-9-a', SHOW: 0, CRM_CREATE: 0 } });
    expect(finish).toMatchObject({ method: 'telephony.externalcall.finish', after: 'dialer:c2c-dl-9:register', inject: { CALL_ID: 'CALL_ID' }, params: { STATUS_CODE: '200', USER_ID: '1' } });
    expect(attach).toMatchObject({ after: finish?.key, inject: { CALL_ID: 'CALL_ID' } });
    // An operator off the CRM whitelist, or an excluded number: nothing.
    expect(planCallRecordWrites({ ...rec, userId: '9' }, rules).writes).toEqual([]);
    expect(planCallRecordWrites({ ...rec, number: '+74950001122' }, rules).writes).toEqual([]);
  });

  it('desk-phone call of a whitelisted user: register (TYPE 1, EXTERNAL_CALL_ID = Linkedid) → finish → attachRecord, chained', () => {
    const rec = callRecord({ linkedid: '1732356000.42', extension: '100', recording: '/var/spool/asterisk/monitor/x.wav', cost: 3.456 });
    const plan = planCallRecordWrites(rec, rules);
    expect(plan.writes.map((w) => w.method)).toEqual(['telephony.externalcall.register', 'telephony.externalcall.finish', 'telephony.externalcall.attachRecord']);
    const [register, finish, attach] = plan.writes;
    expect(register?.params).toEqual({
      PHONE_NUMBER: '+79261234567', TYPE: 1, CALL_START_DATE: '2026-11-23T09:00:00+00:00', CRM_CREATE: 0,
      EXTERNAL_CALL_ID: '1732356000.42', SHOW: 0, USER_ID: '1', LINE_NUMBER: '101',
    });
    expect(finish).toMatchObject({ after: register?.key, inject: { CALL_ID: 'CALL_ID' } });
    expect(finish?.params).toEqual({ DURATION: 62, STATUS_CODE: '200', USER_ID: '1', COST: 3.46, COST_CURRENCY: 'RUB' });
    expect(attach).toMatchObject({ after: finish?.key, inject: { CALL_ID: 'CALL_ID' }, params: { $recording: '/var/spool/asterisk/monitor/x.wav' } });
  });

  it('click-to-call: finish only (Bitrix24 registered it), STATUS_CODE and FAILED_REASON always explicit', () => {
    const rec = callRecord({ crmCallId: 'externalCall.abc.1', userId: '1', extension: '100', origin: 'crm', statusCode: '486', durationSec: 0, failedReason: null, cost: null });
    const plan = planCallRecordWrites(rec, rules);
    expect(plan.writes).toEqual([{ key: 'finish:externalCall.abc.1', method: 'telephony.externalcall.finish', params: { CALL_ID: 'externalCall.abc.1', DURATION: 0, STATUS_CODE: '486', USER_ID: '1' } }]);
    const failed = planCallRecordWrites(callRecord({ crmCallId: 'externalCall.def.2', userId: '1', statusCode: '503', failedReason: 'every attempt failed technically', durationSec: 0 }), rules);
    expect(failed.writes[0]?.params).toMatchObject({ STATUS_CODE: '503', FAILED_REASON: 'every attempt failed technically' });
  });

  it('writes nothing for excluded numbers, nor for users off the whitelist', () => {
    expect(planCallRecordWrites(callRecord({ number: '+74950001122' }), rules).writes).toEqual([]);
    expect(planCallRecordWrites(callRecord({ crmCallId: 'externalCall.x.1', userId: '1', number: '+74950001122' }), rules).writes).toEqual([]);
    expect(planCallRecordWrites(callRecord({ extension: '109' }), rules).writes).toEqual([]);
    expect(planCallRecordWrites(callRecord({ crmCallId: 'externalCall.x.2', userId: '9', extension: '109' }), rules).writes).toEqual([]);
  });

  it('finishes (without the recording) a non-whitelisted click-to-call when finishNonWhitelisted is on', () => {
    const lenient = compiledTestRules({ finishNonWhitelisted: true });
    const plan = planCallRecordWrites(callRecord({ crmCallId: 'externalCall.x.3', userId: '9', extension: '109', recording: 'a.wav' }), lenient);
    expect(plan.writes.map((w) => w.method)).toEqual(['telephony.externalcall.finish']);
  });

  it('attaches wav and mp3 only, and sets CRM_CREATE from the rules', () => {
    expect(planCallRecordWrites(callRecord({ recording: 'x.gsm' }), rules).writes.map((w) => w.method)).not.toContain('telephony.externalcall.attachRecord');
    expect(planCallRecordWrites(callRecord({ recording: 'x.MP3' }), rules).writes.map((w) => w.method)).toContain('telephony.externalcall.attachRecord');
    expect(planCallRecordWrites(callRecord({}), compiledTestRules({ createLeads: true })).writes[0]?.params.CRM_CREATE).toBe(1);
  });

  it('attaches no recording to a call that was not answered (its file holds only tones)', () => {
    for (const unanswered of [{ statusCode: '486' as const, durationSec: 0 }, { statusCode: '304' as const, durationSec: 0 }]) {
      const methods = planCallRecordWrites(callRecord({ recording: 'x.wav', ...unanswered }), rules).writes.map((w) => w.method);
      expect(methods).toContain('telephony.externalcall.finish');
      expect(methods).not.toContain('telephony.externalcall.attachRecord');
    }
  });

  it('formats dates as ISO-8601 with an explicit zone', () => {
    expect(isoWithZone(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05+00:00');
  });
});

describe('desk-phone calls to numbers Bitrix24 would refuse', () => {
  it('registers nothing for a number that is not E.164', () => {
    expect(planCallRecordWrites(callRecord({ number: '12345', statusCode: '404' }), rules).writes).toEqual([]);
  });
});
