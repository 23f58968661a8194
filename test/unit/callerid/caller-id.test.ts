import { describe, expect, it } from 'vitest';
import { callerIdCandidates } from '../../../src/core/callerid/candidates.ts';
import { chooseCallerId } from '../../../src/core/callerid/choose.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import type { CallOrigin, CallerIdRules } from '../../../src/core/rules/model.ts';
import { compiled, department, gsm, RU_CARRIERS, trunk, user } from '../routing/support.ts';

// The company's numbers (seed 003): one of each kind.
const MAIN = '+74951230000';
const PERSONAL_USER = '+74951230001';
const PERSONAL_DEPT = '+74951230002';
const PERSONAL_PARENT_DEPT = '+74951230003';
const REGIONAL_DE = '+496912345678';
const REGIONAL_BERLIN = '+493012345678';
const REGIONAL_91272 = '+912261234567';
const REGIONAL_912723 = '+912261234568';
const REGIONAL_9127235 = '+912261234569';
const ALL = [MAIN, PERSONAL_USER, PERSONAL_DEPT, PERSONAL_PARENT_DEPT, REGIONAL_DE, REGIONAL_BERLIN, REGIONAL_91272, REGIONAL_912723, REGIONAL_9127235];

function rulesWith(callerIds: Partial<CallerIdRules>, presentable: string[] = ALL) {
  return compiled({
    trunks: [trunk('sip', { callerIds: presentable })],
    departments: [department('1', null), department('10', { trunks: ['sip'] }, '1')],
    users: [user('1', ['10']), user('2', ['10'])],
    callerIds: callerIds,
  });
}

const FULL: Partial<CallerIdRules> = {
  main: MAIN,
  personal: [
    { number: PERSONAL_USER, user: '1', department: null, origins: null },
    { number: PERSONAL_DEPT, department: '10', user: null, origins: null },
    { number: PERSONAL_PARENT_DEPT, department: '1', user: null, origins: null },
  ],
  regional: [
    { number: REGIONAL_DE, country: 'DE', prefix: null },
    { number: REGIONAL_BERLIN, country: null, prefix: '4930' },
    { number: REGIONAL_91272, country: null, prefix: '91272' },
    { number: REGIONAL_912723, country: null, prefix: '912723' },
    { number: REGIONAL_9127235, country: null, prefix: '9127235' },
  ],
};

/** The number the single SIP trunk presents for this call. */
function presented(rules: ReturnType<typeof rulesWith>, number: string, userId = '1', origin: CallOrigin = 'crm') {
  const d = decideRoute(rules, RU_CARRIERS, { user: userId, number, origin });
  expect(d.refused).toBeNull();
  return d.attempts[0]?.callerId;
}

describe('seed 003: the longest destination prefix wins (+91272 / +912723 / +9127235)', () => {
  const rules = rulesWith(FULL);
  const chainFor = (digits: string) =>
    callerIdCandidates(rules, { digits, country: 'IN', origin: 'crm', user: rules.userById.get('1')! });

  it.each([
    ['9127235123456', REGIONAL_9127235],
    ['9127231234567', REGIONAL_912723],
    ['9127221234567', REGIONAL_91272],
    ['9122123456789', PERSONAL_USER],
  ])('a call to +%s presents %s', (digits, expected) => {
    expect(chooseCallerId(chainFor(digits), rules.trunkById.get('sip')!).number).toBe(expected);
  });

  it('the chain itself lists the three prefixes longest first', () => {
    expect(chainFor('9127235123456').slice(0, 3).map((c) => c.key)).toEqual(['9127235', '912723', '91272']);
  });

  it('a longer prefix the trunk cannot present gives way to the shorter one it can', () => {
    const r = rulesWith(FULL, [MAIN, REGIONAL_91272]);
    const chain = callerIdCandidates(r, { digits: '9127235123456', country: 'IN', origin: 'crm', user: r.userById.get('1')! });
    expect(chooseCallerId(chain, r.trunkById.get('sip')!).number).toBe(REGIONAL_91272);
  });
});

describe('seed 003: default priority regional prefix → regional country → personal employee → personal department → main', () => {
  it.each([
    ['Berlin: regional by prefix beats regional by country and personal', FULL, '+493012345679', '1', REGIONAL_BERLIN],
    ['Frankfurt: regional by country beats personal', FULL, '+496912345679', '1', REGIONAL_DE],
    ['domestic: the employee\'s personal number beats the department\'s', FULL, '+79161234567', '1', PERSONAL_USER],
    ['another employee: the department\'s number', FULL, '+79161234567', '2', PERSONAL_DEPT],
    ['no department number: the parent department\'s', { ...FULL, personal: FULL.personal!.filter((p) => p.number !== PERSONAL_DEPT) }, '+79161234567', '2', PERSONAL_PARENT_DEPT],
    ['nothing personal or regional: the main number', { main: MAIN }, '+79161234567', '2', MAIN],
  ])('%s', (_, callerIds, number, userId, expected) => {
    expect(presented(rulesWith(callerIds), number, userId)).toBe(expected);
  });
});

describe('the personal-first switch', () => {
  const rules = rulesWith({ ...FULL, priority: 'personal-first' });
  it.each([
    ['+493012345679', '1', PERSONAL_USER],
    ['+496912345679', '1', PERSONAL_USER],
    ['+493012345679', '2', PERSONAL_DEPT],
  ])('a call to %s by user %s presents %s', (number, userId, expected) => {
    expect(presented(rules, number, userId)).toBe(expected);
  });

  it('without any personal number the regional ones still come before main', () => {
    const r = rulesWith({ main: MAIN, regional: FULL.regional!, priority: 'personal-first' });
    expect(presented(r, '+493012345679')).toBe(REGIONAL_BERLIN);
    expect(presented(r, '+496912345679')).toBe(REGIONAL_DE);
  });
});

describe('origins, disabled numbers and what a trunk can present', () => {
  it('a personal number for the mobile app applies only to calls from the mobile app (DECISIONS §13)', () => {
    const rules = rulesWith({ main: MAIN, personal: [{ number: PERSONAL_USER, user: '1', department: null, origins: ['mobile'] }] });
    expect(presented(rules, '+79161234567', '1', 'mobile')).toBe(PERSONAL_USER);
    expect(presented(rules, '+79161234567', '1', 'crm')).toBe(MAIN);
    expect(presented(rules, '+79161234567', '1', 'phone')).toBe(MAIN);
  });

  it('a disabled number is never presented, at any level of the chain', () => {
    const rules = rulesWith({ ...FULL, disabled: [REGIONAL_BERLIN, PERSONAL_USER, MAIN] });
    expect(presented(rules, '+493012345679')).toBe(REGIONAL_DE);
    expect(presented(rules, '+79161234567')).toBe(PERSONAL_DEPT);
    const onlyMainDisabled = rulesWith({ main: MAIN, disabled: [MAIN] }, [MAIN, PERSONAL_DEPT]);
    expect(presented(onlyMainDisabled, '+79161234567')).toBe(PERSONAL_DEPT);
  });

  it('a trunk whose only numbers are disabled is skipped', () => {
    const rules = compiled({
      trunks: [gsm('gsm-off', 'mts', '+79161230001'), trunk('sip', { callerIds: [MAIN] })],
      callerIds: { main: MAIN, disabled: ['+79161230001'] },
    });
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: '+79161234567', origin: 'crm' });
    expect(d.attempts.map((a) => a.trunk)).toEqual(['sip']);
  });

  it('a GSM trunk only ever presents its SIM number; the rules pick per attempt, never reordering trunks', () => {
    const rules = compiled({
      trunks: [gsm('gsm-mts', 'mts', '+79161230001'), trunk('sip', { callerIds: [MAIN, PERSONAL_USER] })],
      callerIds: { main: MAIN, personal: [{ number: PERSONAL_USER, user: '1', department: null, origins: null }] },
    });
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: '+79161234567', origin: 'crm' }, { explain: true });
    expect(d.attempts.map((a) => [a.trunk, a.callerId])).toEqual([
      ['gsm-mts', '+79161230001'],
      ['sip', PERSONAL_USER],
    ]);
    expect(d.attempts[0]?.callerIdReason).toContain('its own number');
    expect(d.attempts[1]?.callerIdReason).toContain('personal number of user 1');
  });

  it('a trunk with no numbers of its own presents none (the provider\'s default)', () => {
    const rules = compiled({ trunks: [trunk('bare')], callerIds: { main: MAIN } });
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: '+79161234567', origin: 'crm' });
    expect(d.attempts[0]?.callerId).toBeNull();
  });
});
