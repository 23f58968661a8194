import { describe, expect, it } from 'vitest';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { compiled, RU_CARRIERS, trunk } from './support.ts';

const rules = compiled({ trunks: [trunk('sip', { dial: 'PJSIP/{e164}@sip' })] });

describe('step 1: the number is normalised to E.164 (desk phone / CLI: default country RU)', () => {
  it.each([
    ['8 (926) 123-45-67', '+79261234567', 'RU'],
    ['+7 926 123 45 67', '+79261234567', 'RU'],
    ['79261234567', '+79261234567', 'RU'],
    ['9261234567', '+79261234567', 'RU'],
    ['+44 20 7946 0958', '+442079460958', 'GB'],
    ['8 10 44 20 7946 0958', '+442079460958', 'GB'],
    ['00 44 20 7946 0958', '+442079460958', 'GB'],
    ['+7 701 123 45 67', '+77011234567', 'KZ'],
  ])('%s → %s (%s)', (input, e164, country) => {
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: input, origin: 'phone' });
    expect(d.refused).toBeNull();
    expect(d.number).toMatchObject({ e164, country });
    expect(d.attempts[0]?.dial).toBe(`PJSIP/${e164}@sip`);
  });

  it.each(['abc', '123', '+7 926 123', ''])('%j is refused INVALID_NUMBER and nothing is dialled', (input) => {
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: input, origin: 'crm' });
    expect(d.refused?.code).toBe('INVALID_NUMBER');
    expect(d.refused?.message).toContain('invalid phone number');
    expect(d.number).toBeNull();
    expect(d.attempts).toEqual([]);
  });

  it.each([
    ['16 digits, international', `+${'7'.repeat(16)}`, true, `invalid phone number "+${'7'.repeat(16)}": 16 digits: longer than E.164 allows (15)`],
    ['1000 digits from an event', '7'.repeat(1000), true, `invalid phone number "${'7'.repeat(40)}…" (1000 characters): 1000 digits: longer than E.164 allows (15)`],
    ['1000 digits typed on a desk phone', '8'.repeat(1000), false, `invalid phone number "${'8'.repeat(40)}…" (1000 characters): 1000 digits: longer than E.164 allows (15)`],
  ])('a number longer than E.164 (%s) is refused with that reason, quoted short', (_what, input, international, message) => {
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: input, origin: 'crm', numberIsInternational: international });
    expect(d.refused).toMatchObject({ code: 'INVALID_NUMBER', message });
    expect(d.attempts).toEqual([]);
  });

  it('a number with control characters is refused, quoting it escaped', () => {
    const d = decideRoute(rules, RU_CARRIERS, { user: '1', number: '+7926\u001b[2J1234567', origin: 'crm' });
    expect(d.refused?.message).toBe('invalid phone number "+7926\\u001b[2J1234567": only digits, spaces, brackets, dashes and a leading + are allowed');
  });

  it('DECISIONS §1: a number Bitrix24 marked international is not read as Russian', () => {
    // 7863342521 from a real capture is +1 786 334 2521, not a Russian 10-digit number.
    // Read with the default country, the 10 digits become +7 786… (not a valid range: refused).
    const national = decideRoute(rules, RU_CARRIERS, { user: '1', number: '7863342521', origin: 'crm' });
    expect(national.refused?.code).toBe('INVALID_NUMBER');
    expect(national.refused?.message).toContain('7863342521');
    const international = decideRoute(rules, RU_CARRIERS, { user: '1', number: '17863342521', origin: 'crm', numberIsInternational: true });
    expect(international.number).toMatchObject({ e164: '+17863342521', country: 'US' });
  });
});
