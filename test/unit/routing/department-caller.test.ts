import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import type { CallerIdRules } from '../../../src/core/rules/model.ts';
import { compiled, department, RU_CARRIERS, trunk, user } from './support.ts';

// A call on no employee's behalf (an inbound forward, a dialer's customer leg) takes the policy of
// the department it names, with parents, and that department's caller-ID numbers (DECISIONS §8).
const MAIN = '+74951230000';
const SALES_NUMBER = '+74951230010';
const COMPANY_NUMBER = '+74951230001';
const EMPLOYEE_NUMBER = '+74951230002';
const ALL = [MAIN, SALES_NUMBER, COMPANY_NUMBER, EMPLOYEE_NUMBER];

const callerIds: Partial<CallerIdRules> = {
  main: MAIN,
  personal: [
    { number: EMPLOYEE_NUMBER, user: '1', department: null, origins: null },
    { number: SALES_NUMBER, user: null, department: '10', origins: ['dialer'] },
    { number: COMPANY_NUMBER, user: null, department: '1', origins: null },
  ],
};

const rules = compiled({
  trunks: [trunk('sip', { callerIds: ALL }), trunk('other', { callerIds: ALL, priority: 200 }), trunk('hr-only')],
  departments: [
    department('1', { trunks: ['sip', 'other'] }),
    department('10', null, '1'), // sales: no policy of its own, inherits the company's
    department('20', { trunks: ['hr-only'] }),
    department('30', null), // no policy anywhere up the tree
  ],
  users: [user('1', ['10'], '100')],
  callerIds,
});

describe('a department as the caller', () => {
  it('takes the nearest policy up the tree and reports no user', () => {
    const d = decideRoute(rules, RU_CARRIERS, { department: '10', number: '+79261234567', origin: 'dialer' });
    expect(d.refused).toBeNull();
    expect(d.attempts.map((a) => a.trunk)).toEqual(['sip', 'other']);
    expect(d.user).toBeNull();
    expect(d.extension).toBeNull();
    expect(d.departments).toEqual(['1']);
  });

  it('presents its own department number before the parent\'s, never an employee\'s', () => {
    const dialer = decideRoute(rules, RU_CARRIERS, { department: '10', number: '+79261234567', origin: 'dialer' });
    expect(dialer.attempts[0]?.callerId).toBe(SALES_NUMBER);
    // The sales number is for dialer calls only: an inbound forward falls to the parent's number.
    const inbound = decideRoute(rules, RU_CARRIERS, { department: '10', number: '+79261234567', origin: 'inbound' });
    expect(inbound.attempts[0]?.callerId).toBe(COMPANY_NUMBER);
  });

  it('uses only its own whitelist, not the union of some employee\'s departments', () => {
    const d = decideRoute(rules, RU_CARRIERS, { department: '20', number: '+79261234567', origin: 'inbound' });
    expect(d.attempts.map((a) => a.trunk)).toEqual(['hr-only']);
  });

  it('a user or extension, when given, wins over the department', () => {
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', department: '20', number: '+79261234567', origin: 'crm' });
    expect(d.user).toBe('1');
    expect(d.attempts[0]?.callerId).toBe(EMPLOYEE_NUMBER);
  });

  it('an unknown department is refused naming it; one without a policy is refused NO_POLICY', () => {
    const unknown = decideRoute(rules, RU_CARRIERS, { department: '99', number: '+79261234567', origin: 'dialer' });
    expect(unknown.refused).toMatchObject({ code: 'UNKNOWN_USER', message: 'unknown caller: department 99 is not in departments.yaml' });
    expect(unknown.attempts).toEqual([]);
    const noPolicy = decideRoute(rules, RU_CARRIERS, { department: '30', number: '+79261234567', origin: 'dialer' });
    expect(noPolicy.refused?.code).toBe('NO_POLICY');
    expect(noPolicy.refused?.message).toContain('department 30');
  });

  it('explain names the department as the caller', () => {
    const d = decideRoute(rules, RU_CARRIERS, { department: '10', number: '+79261234567', origin: 'dialer' }, { explain: true });
    expect(d.trace).toContainEqual(expect.stringMatching(/^caller: department dept-10 \(10\) on no employee's behalf; policy of dept-1 \(1\)/));
  });
});
