import { describe, expect, it } from 'vitest';
import { loadRulesFromTexts } from '../../../src/adapters/rules/load.ts';
import { callCost } from '../../../src/app/calls/finish-call.ts';
import { billedSeconds, parseIncrement } from '../../../src/core/rules/billing.ts';
import { dayText, isoText, parseIsoInstant, zoneOffsetMs } from '../../../src/core/savings/calendar.ts';
import { reportPeriod } from '../../../src/core/savings/period.ts';

describe('billing increments', () => {
  it('60/60 bills started minutes, 1/1 seconds, 60/1 a first minute then seconds; a call that never talked bills nothing', () => {
    const cases: [string, number, number][] = [
      ['60/60', 0, 0], ['60/60', 1, 60], ['60/60', 60, 60], ['60/60', 61, 120],
      ['1/1', 0, 0], ['1/1', 1, 1], ['1/1', 61, 61],
      ['60/1', 0, 0], ['60/1', 5, 60], ['60/1', 60, 60], ['60/1', 61, 61],
      ['30/6', 31, 36],
    ];
    for (const [text, duration, billed] of cases) {
      const inc = parseIncrement(text);
      if (typeof inc === 'string') throw new Error(inc);
      expect(billedSeconds(duration, inc), `${text} ${duration} s`).toBe(billed);
    }
  });

  it('a call costs its price per minute over its billed seconds, to a ten-thousandth of a rouble', () => {
    expect(callCost(1.5, 61)).toBe(3);
    expect(callCost(1.2, 61, { first: 1, step: 1 })).toBe(1.22);
    expect(callCost(1.5, 5, { first: 60, step: 1 })).toBe(1.5);
    expect(callCost(0.7, 7, { first: 1, step: 1 })).toBe(0.0817);
    expect(callCost(null, 61)).toBeNull();
  });

  it('the rules refuse an increment that is not first/step seconds, naming the file and the trunk', () => {
    const load = (increment: string) => loadRulesFromTexts('r', {
      'trunks.yaml': `trunks:\n  - { id: sip-a, kind: sip, dial: 'PJSIP/{e164}@a', tariffs: { default: 1.0, increment: ${increment} } }\n`,
    });
    const ok = load('60/1');
    expect(ok.ok && ok.rules.trunks[0]?.tariffs.increment).toEqual({ first: 60, step: 1 });
    for (const bad of ['per-minute', '0/1', '1/60', '7200/60', '60']) {
      const r = load(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.errors.join('\n')).toMatch(/r\/trunks\.yaml: trunks\[0\]\.tariffs\.increment: /);
    }
  });
});

describe('report periods', () => {
  const MSK = 'Europe/Moscow';
  const NOW = Date.UTC(2026, 11, 4, 9, 0);

  it('days are the call centre\'s days; --to includes its whole day; the default is the last 30 days', () => {
    expect(reportPeriod({ from: '2026-11-02', to: '2026-11-04' }, MSK, NOW)).toEqual({ from: Date.UTC(2026, 10, 1, 21), to: Date.UTC(2026, 10, 4, 21) });
    expect(reportPeriod({}, MSK, NOW)).toEqual({ from: NOW - 30 * 86_400_000, to: NOW });
    expect(reportPeriod({ from: '2026-11-02T09:30:00Z', to: '2026-11-02T14:00+03:00' }, MSK, NOW)).toEqual({ from: Date.UTC(2026, 10, 2, 9, 30), to: Date.UTC(2026, 10, 2, 11) });
  });

  it('refuses a date that does not exist, a time without its zone, and a period that ends before it starts', () => {
    expect(reportPeriod({ from: '2026-02-30' }, MSK, NOW)).toBe('--from: "2026-02-30" is not a date');
    expect(reportPeriod({ to: '2026-11-02T09:00' }, MSK, NOW)).toMatch(/^--to: "2026-11-02T09:00" is not a date \(YYYY-MM-DD\)/);
    expect(reportPeriod({ from: '2026-11-05', to: '2026-11-04' }, MSK, NOW)).toMatch(/^--from \(2026-11-04T21:00:00.000Z\) must be before --to/);
  });

  it('calendar helpers agree with the platform', () => {
    for (const at of [0, Date.UTC(2000, 1, 29, 23, 59, 59, 999), Date.UTC(2026, 11, 31, 12), Date.UTC(2100, 2, 1)]) {
      expect(isoText(at)).toBe(new Date(at).toISOString());
      expect(parseIsoInstant(new Date(at).toISOString())).toBe(at);
      expect(dayText(Math.floor(at / 86_400_000))).toBe(new Date(at).toISOString().slice(0, 10));
    }
    expect(zoneOffsetMs(MSK, NOW)).toBe(3 * 3_600_000);
    expect(zoneOffsetMs('Europe/Berlin', Date.UTC(2026, 6, 1))).toBe(2 * 3_600_000);
  });
});
