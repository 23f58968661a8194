import { describe, expect, it } from 'vitest';
import { compileRules } from '../../../src/core/rules/compile.ts';
import { mergeDirectory } from '../../../src/app/crm/directory-merge.ts';
import { desiredLines } from '../../../src/app/crm/line-sync.ts';
import { toDirectoryUser } from '../../../src/app/crm/user-sync.ts';
import { testRules } from '../../integration/crm/fixtures.ts';

describe('merging the Bitrix24 directory with the rules', () => {
  const directory = {
    users: [
      { id: '1', name: 'Synced name', extension: '555', departments: ['7'], active: true }, // rules user 1 wins
      { id: '20', name: 'New hire', extension: '120', departments: ['7'], active: true },
      { id: '21', name: 'Claims 100', extension: '100', departments: ['7'], active: true }, // extension owned by rules user 1
      { id: '22', name: 'Gone', extension: '122', departments: ['7'], active: false },
    ],
    departments: [
      { id: '1', name: 'Sales (Bitrix24)', parent: '50' },
      { id: '7', name: 'Telesales', parent: '1' },
      { id: '50', name: 'Company', parent: null },
    ],
  };

  it('adds synced users and departments, lets the rules override, keeps Bitrix24 nesting', () => {
    const merged = mergeDirectory(testRules(), directory);
    const users = new Map(merged.users.map((u) => [u.id, u]));
    expect(users.get('1')).toEqual({ id: '1', name: 'Sales manager', extension: '100', departments: ['1'] });
    expect(users.get('20')).toEqual({ id: '20', name: 'New hire', extension: '120', departments: ['7'] });
    expect(users.get('21')?.extension).toBeNull();
    expect(users.has('22')).toBe(false);
    const departments = new Map(merged.departments.map((d) => [d.id, d]));
    expect(departments.get('1')).toMatchObject({ name: 'Sales', parent: '50' });
    expect(departments.get('1')?.policy?.trunks).toEqual(['mts', 'beeline', 'sip']);
    expect(departments.get('7')).toEqual({ id: '7', name: 'Telesales', parent: '1', policy: null });
  });

  it('gives a synced user the policy of the nearest department up the tree', () => {
    const compiled = compileRules(mergeDirectory(testRules(), directory));
    expect(compiled.userByExtension.get('120')?.policy?.trunks).toEqual(['mts', 'beeline', 'sip']);
  });

  it('reads user.get rows (UF_DEPARTMENT array, UF_PHONE_INNER string)', () => {
    expect(toDirectoryUser({ ID: '3', NAME: 'John', LAST_NAME: 'Smith', ACTIVE: true, UF_DEPARTMENT: [1, 5], UF_PHONE_INNER: '103' }))
      .toEqual({ id: '3', name: 'John Smith', extension: '103', departments: ['1', '5'], active: true });
    expect(toDirectoryUser({ ID: '4', UF_PHONE_INNER: '' })).toMatchObject({ extension: null, departments: [], name: null });
    expect(toDirectoryUser({ NAME: 'no id' })).toBeNull();
  });
});

describe('external lines to publish', () => {
  it('publishes enabled trunks some department may use, plus "Automatic (cheapest)"', () => {
    const rules = testRules();
    const lines = desiredLines(compileRules({ ...rules, trunks: rules.trunks.map((t) => (t.id === 'sip' ? { ...t, enabled: false } : t)) }));
    expect(lines).toEqual([
      { number: 'auto', name: 'Automatic (cheapest)', trunkId: null },
      { number: '101', name: 'MTS gateway', trunkId: 'mts' },
      { number: '102', name: 'Beeline gateway', trunkId: 'beeline' },
      { number: '201', name: 'HR line', trunkId: 'hr' },
    ]);
  });
});

describe('the click-to-call adapter over the PBX use case', () => {
  it('maps originated, duplicate and refused results, and the refusal STATUS_CODE', async () => {
    const { clickToCallPort } = await import('../../../src/app/crm/click-to-call-adapter.ts');
    const { refusalStatusCode } = await import('../../../src/app/crm/ports.ts');
    const seen: unknown[] = [];
    const port = clickToCallPort({
      clickToCall: async (input) => {
        seen.push(input);
        if (input.line === '101') return { ok: false, callId: 'c1', code: 'LINE_NOT_ALLOWED', message: 'line "101" is not allowed for department(s) HR', duplicate: false };
        return { ok: true, callId: 'c2', channelId: 'ch', duplicate: input.crmCallId === 'again' };
      },
      planClick: () => ({ ok: false, callId: null, code: 'INVALID_REQUEST', message: 'not used here', duplicate: false }),
      dialClick: async () => ({ ok: true, callId: 'c3', channelId: 'ch3', duplicate: false }),
      placed: async (crmCallId) => crmCallId === 'again',
    });
    const base = { crmCallId: 'x', userId: '1', extension: null, number: '+79261234567', numberIsInternational: true, origin: 'crm' as const, line: null };
    expect(await port.originate(base)).toEqual({ status: 'originated' });
    expect(seen[0]).toMatchObject({ extension: '' });
    expect(await port.originate({ ...base, crmCallId: 'again' })).toEqual({ status: 'duplicate' });
    expect(await port.originate({ ...base, line: '101' })).toEqual({ status: 'refused', code: 'LINE_NOT_ALLOWED', message: 'line "101" is not allowed for department(s) HR' });
    expect(['INVALID_NUMBER', 'LINE_NOT_ALLOWED', 'NO_POLICY', 'LINE_UNAVAILABLE', 'ORIGINATE_FAILED', 'STALE_CLICK'].map(refusalStatusCode)).toEqual(['404', '403', '403', '503', '503', '503']);
  });
});
