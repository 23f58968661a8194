import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadRules } from '../../../src/adapters/rules/load.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { fakeCarriers, landline, mobile } from '../routing/support.ts';

const RULES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../rules');
const loaded = loadRules(RULES_DIR);
const compiled = () => {
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.compiled;
};
const carriers = fakeCarriers({
  '7916': mobile('mts'), '7926': mobile('megafon'), '7928': mobile('megafon'), '7903': mobile('beeline'), '7977': mobile('tele2'), '7495': landline('mts'),
});

describe('the shipped example rules (rules/*.yaml)', () => {
  it('load without errors or warnings', () => {
    expect(loaded.ok ? [] : loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual([]);
  });

  it('route the CI smoke-test call of user 1 (extension 100, Sales)', () => {
    const d = decideRoute(compiled(), carriers, { user: '1', number: '8 (926) 123-45-67', origin: 'phone' });
    expect(d.refused).toBeNull();
    expect(d.attempts[0]).toMatchObject({ trunk: 'gsm-megafon', tier: 'on-net', dial: 'PJSIP/89261234567@gw-megafon', callerId: '+79261230002' });
    expect(d.attempts).toHaveLength(5);
  });

  it.each(['+79161234567', '+79261234567', '+79281234567', '+79031234567', '+79771234567', '+79501234567', '+74951234567'])(
    'HR (user 4) calling %s only gets the two HR trunks, each with its own number',
    (number) => {
      const d = decideRoute(compiled(), carriers, { user: '4', number, origin: 'crm' });
      expect(d.refused).toBeNull();
      expect(d.attempts.map((a) => a.trunk).sort()).toEqual(['gsm-hr-beeline', 'gsm-hr-mts']);
      for (const a of d.attempts) expect(a.callerId).toBe(a.trunk === 'gsm-hr-mts' ? '+79161230101' : '+79031230102');
    },
  );

  it('HR may not pick a sales line by hand', () => {
    const d = decideRoute(compiled(), carriers, { user: '4', number: '+79161234567', origin: 'crm', line: 'mts' });
    expect(d.refused?.code).toBe('LINE_NOT_ALLOWED');
    expect(d.attempts).toEqual([]);
  });

  it('seed 000 masks: +7928 goes to "Мегафон плагин №1" before Билайн and Миател', () => {
    const d = decideRoute(compiled(), carriers, { user: '1', number: '+79281234567', origin: 'crm' });
    const maskTier = d.attempts.filter((a) => a.tier === 'mask').map((a) => a.trunk);
    expect(maskTier).toEqual(['sip-megafon-1', 'sip-beeline', 'sip-miatel']);
  });

  it('caller ID examples: Berlin prefix, Kazakhstan, a mobile-only personal number, the sales number', () => {
    const r = compiled();
    const zorraCallerId = (number: string, user = '1', origin: 'crm' | 'mobile' = 'crm') =>
      decideRoute(r, carriers, { user, number, origin }).attempts.find((a) => a.trunk === 'sip-zorra')?.callerId;
    expect(zorraCallerId('+493098765432')).toBe('+493012345678');
    expect(zorraCallerId('+496998765432')).toBe('+496912345678');
    expect(zorraCallerId('+77011234567')).toBe('+77272589631');
    const beeline = (user: string, origin: 'crm' | 'mobile') =>
      decideRoute(r, carriers, { user, number: '+79261234567', origin }).attempts.find((a) => a.trunk === 'sip-beeline')?.callerId;
    expect(beeline('3', 'mobile')).toBe('+74951234503');
    expect(beeline('3', 'crm')).toBe('+74951234510');
    expect(beeline('2', 'crm')).toBe('+74951234502');
  });

  it('accounting has no routing policy: NO_POLICY', () => {
    expect(decideRoute(compiled(), carriers, { user: '7', number: '+79161234567', origin: 'crm' }).refused?.code).toBe('NO_POLICY');
  });

  it('a user in Sales and HR gets the union of both whitelists', () => {
    const d = decideRoute(compiled(), carriers, { user: '6', number: '+79161234567', origin: 'crm' });
    expect(d.departments).toEqual(['10', '20']);
    expect(d.attempts.map((a) => a.trunk)).toContain('gsm-hr-mts');
    expect(d.attempts.map((a) => a.trunk)).toContain('gsm-mts');
  });
});
