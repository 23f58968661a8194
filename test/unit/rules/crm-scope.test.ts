import { describe, expect, it } from 'vitest';
import { compileRules } from '../../../src/core/rules/compile.ts';
import { isCrmWhitelisted, isExcludedNumber } from '../../../src/core/rules/crm-scope.ts';
import { compiled, department, trunk, user } from '../routing/support.ts';

const base = compiled({
  trunks: [trunk('sip')],
  departments: [department('10', { trunks: ['sip'] }), department('11', null, '10'), department('20', { trunks: ['sip'] })],
  users: [user('1', ['11'], '100'), user('2', ['20'], '200'), user('3', ['20'], '300')],
});
const rules = compileRules({
  ...base.rules,
  crm: {
    ...base.rules.crm,
    whitelist: { users: ['2'], extensions: ['555'], departments: ['10'] },
    excluded: { numbers: ['+74950001122'], prefixes: ['7800'] },
  },
});

describe('CRM whitelist and excluded numbers (DECISIONS §18)', () => {
  it.each<[{ user?: string; extension?: string }, boolean, string]>([
    [{ user: '1' }, true, 'a sub-department of a whitelisted department'],
    [{ extension: '100' }, true, 'the same user found by extension'],
    [{ user: '2' }, true, 'a whitelisted user'],
    [{ extension: '200' }, true, 'a whitelisted user found by extension'],
    [{ user: '3' }, false, 'a user nobody listed'],
    [{ extension: '555' }, true, 'a listed extension nobody owns'],
    [{ extension: '556' }, false, 'an unknown extension'],
    [{}, false, 'nobody'],
  ])('%j → %s (%s)', (caller, expected, _why) => {
    expect(isCrmWhitelisted(rules, caller)).toBe(expected);
  });

  it('excludes listed numbers and prefixes only', () => {
    expect(isExcludedNumber(rules, '+74950001122')).toBe(true);
    expect(isExcludedNumber(rules, '+78001234567')).toBe(true);
    expect(isExcludedNumber(rules, '+74950001123')).toBe(false);
  });
});
