import { describe, expect, it } from 'vitest';
import { checkCaps } from '../../../src/core/pacing/caps.ts';
import { checkHours } from '../../../src/core/pacing/calling-hours.ts';
import { chooseLead, type DueLead } from '../../../src/core/pacing/choose-lead.ts';
import { DncList } from '../../../src/core/pacing/dnc.ts';
import { classifyCustomerLeg } from '../../../src/core/pacing/outcome.ts';
import { timezoneOfRegion } from '../../../src/core/pacing/region-timezone.ts';
import { nextForLead } from '../../../src/core/pacing/retry-plan.ts';
import { DEFAULT_RETRY, defaultPacing, parseWindow, type PacingSettings } from '../../../src/core/pacing/settings.ts';

const MIN = 60_000;
/** 2026-03-02 (a Monday) at HH:MM UTC. */
const at = (hh: number, mm = 0, day = 2) => Date.UTC(2026, 2, day, hh, mm);

describe('the retry plan by outcome (seed 002 defaults)', () => {
  it.each([
    ['no-answer', 90], ['unreachable', 90], ['busy', 5], ['technical', 10], ['abandoned', 10],
  ] as const)('%s → called again after %i min', (outcome, minutes) => {
    const now = at(10);
    expect(nextForLead(outcome, 1, 10, DEFAULT_RETRY, now)).toEqual({ kind: 'retry', at: now + minutes * MIN, reserveOperator: outcome === 'abandoned' });
  });

  it('an answered lead is done; so is one out of attempts', () => {
    expect(nextForLead('answered', 1, 10, DEFAULT_RETRY, 0)).toEqual({ kind: 'done', reason: 'answered' });
    expect(nextForLead('busy', 3, 3, DEFAULT_RETRY, 0)).toMatchObject({ kind: 'done', reason: expect.stringContaining('3 attempt(s)') });
  });
});

describe('the outcome of a customer leg', () => {
  it.each([
    ['ANSWER', 16, true, 'answered'],
    ['ANSWER', 16, false, 'abandoned'],
    ['BUSY', 0, false, 'busy'],
    ['NOANSWER', 16, false, 'no-answer'],
    ['NOANSWER', 19, false, 'no-answer'],
    ['CHANUNAVAIL', 20, false, 'unreachable'],
    ['CONGESTION', 1, false, 'unreachable'],
    ['CONGESTION', 34, false, 'technical'],
    ['', null, false, 'technical'],
  ] as const)('%s cause %s (operator took it: %s) → %s', (dialStatus, hangupCause, operatorTook, outcome) => {
    expect(classifyCustomerLeg({ dialStatus, hangupCause, operatorTook })).toBe(outcome);
  });
});

describe('calling hours in the callee\'s own timezone', () => {
  const hours = parseWindow('09:00-21:00')!;
  it('10:00 in Moscow is 14:00 in Novosibirsk: both open; 06:00 UTC is 09:00 Moscow but 13:00 in Vladivostok', () => {
    expect(checkHours(at(7), 'Europe/Moscow', hours, [])).toEqual({ ok: true });
    expect(checkHours(at(5, 30), 'Europe/Moscow', hours, [])).toEqual({ ok: false, until: at(6), reason: 'calling-hours' });
    expect(checkHours(at(5, 30), 'Asia/Vladivostok', hours, [])).toEqual({ ok: true });
  });

  it('after 21:00 local the next chance is 09:00 local tomorrow', () => {
    // 19:00 UTC = 22:00 Moscow → 09:00 Moscow = 06:00 UTC next day.
    expect(checkHours(at(19), 'Europe/Moscow', hours, [])).toEqual({ ok: false, until: at(6, 0, 3), reason: 'calling-hours' });
  });

  it('quiet hours inside the calling hours postpone to their end', () => {
    const lunch = parseWindow('13:00-14:00')!;
    expect(checkHours(at(10, 15), 'Europe/Moscow', hours, [lunch])).toEqual({ ok: false, until: at(11), reason: 'quiet-hours' });
  });

  it('a window across midnight', () => {
    const night = parseWindow('22:00-02:00')!;
    expect(checkHours(at(20), 'Europe/Moscow', night, [])).toEqual({ ok: true }); // 23:00 Moscow
    expect(checkHours(at(22), 'Europe/Moscow', night, [])).toEqual({ ok: true }); // 01:00 Moscow
    expect(checkHours(at(0), 'Europe/Moscow', night, [])).toEqual({ ok: false, until: at(19), reason: 'calling-hours' }); // 03:00 → 22:00
  });

  it.each(['9-21', '25:00-26:00', '10:00-10:00', ''])('%j is not a window', (text) => {
    expect(parseWindow(text)).toBeNull();
  });
});

describe('the region of the numbering plan → timezone', () => {
  it.each([
    ['г. Москва и Московская область', 'Europe/Moscow'],
    ['Новосибирская обл.', 'Asia/Novosibirsk'],
    ['Томская область', 'Asia/Tomsk'],
    ['Омская обл.', 'Asia/Omsk'],
    ['Ямало-Ненецкий АО', 'Asia/Yekaterinburg'],
    ['Сахалинская обл.', 'Asia/Sakhalin'],
    ['Республика Саха /Якутия/', 'Asia/Yakutsk'],
    ['Калининградская обл.', 'Europe/Kaliningrad'],
    ['Республика Крым и г. Севастополь', 'Europe/Moscow'],
    ['Российская Федерация', null],
    ['-', null],
  ])('%s → %s', (region, tz) => {
    expect(timezoneOfRegion(region)).toBe(tz);
  });
});

describe('caps per number per day, week and month', () => {
  const caps = { perDay: 2, perWeek: 3, perMonth: 4 };
  it('counts in the callee\'s local calendar', () => {
    const now = at(10, 0, 4); // Wednesday
    expect(checkCaps(caps, [at(8, 0, 4)], now, 'Europe/Moscow')).toEqual({ ok: true });
    expect(checkCaps(caps, [at(8, 0, 4), at(9, 0, 4)], now, 'Europe/Moscow')).toEqual({ ok: false, cap: 'day', limit: 2 });
    expect(checkCaps(caps, [at(8, 0, 2), at(8, 0, 3), at(8, 0, 4)], now, 'Europe/Moscow')).toEqual({ ok: false, cap: 'week', limit: 3 });
    // Last week's Sunday does not count this week, but counts this month.
    expect(checkCaps(caps, [at(8, 0, 1), at(8, 0, 2), at(8, 0, 3)], now, 'Europe/Moscow')).toEqual({ ok: true });
    expect(checkCaps(caps, [at(8, 0, 1), at(9, 0, 1), at(8, 0, 2), at(8, 0, 3)], now, 'Europe/Moscow')).toEqual({ ok: false, cap: 'month', limit: 4 });
  });

  it('a call at 22:00 UTC on Monday is Tuesday in Moscow', () => {
    expect(checkCaps({ perDay: 1, perWeek: null, perMonth: null }, [at(22, 0, 2)], at(10, 0, 3), 'Europe/Moscow')).toEqual({ ok: false, cap: 'day', limit: 1 });
    expect(checkCaps({ perDay: 1, perWeek: null, perMonth: null }, [at(20, 0, 2)], at(10, 0, 3), 'Europe/Moscow')).toEqual({ ok: true });
  });
});

describe('the do-not-call list', () => {
  const dnc = new DncList([{ digits: '79261234567', kind: 'number' }, { digits: '7800', kind: 'prefix' }, { digits: '7495123', kind: 'prefix' }]);
  it.each([
    ['79261234567', { digits: '79261234567', kind: 'number' }],
    ['78001234567', { digits: '7800', kind: 'prefix' }],
    ['74951234567', { digits: '7495123', kind: 'prefix' }],
    ['74951244567', null],
    ['79261234568', null],
  ])('%s → %j', (digits, match) => {
    expect(dnc.match(digits)).toEqual(match);
  });
});

describe('the decision for a free operator', () => {
  const settings: PacingSettings = { ...defaultPacing('Europe/Moscow'), callingHours: parseWindow('09:00-21:00')! };
  const lead = (id: string, over: Partial<DueLead> = {}): DueLead => ({ id, digits: `7926000000${id}`, timezone: null, attemptStarts: [], reserveOperator: false, ...over });

  it('takes the first callable lead and postpones or blocks the ones before it', () => {
    const dnc = new DncList([{ digits: '79260000001', kind: 'number' }]);
    const choice = chooseLead([lead('1'), lead('2', { timezone: 'Asia/Kamchatka' }), lead('3')], settings, dnc, at(5, 30));
    // 05:30 UTC: 08:30 in Moscow (closed), 17:30 in Kamchatka (open).
    expect(choice.dial).toEqual({ lead: expect.objectContaining({ id: '2' }), mode: 'progressive' });
    expect(choice.holds).toEqual([{ leadId: '1', kind: 'blocked', reason: 'on the do-not-call list (number 79260000001)' }]);
    const next = chooseLead([lead('3')], settings, dnc, at(5, 30));
    expect(next).toEqual({ dial: null, holds: [{ leadId: '3', kind: 'later', until: at(6), reason: 'calling-hours in Europe/Moscow' }] });
  });

  it('a lead whose last call was abandoned is dialled operator first', () => {
    expect(chooseLead([lead('4', { reserveOperator: true })], settings, new DncList([]), at(10)).dial?.mode).toBe('preview');
  });

  it('a capped lead waits; the scan stops at its limit', () => {
    const capped = { ...settings, caps: { perDay: 1, perWeek: null, perMonth: null } };
    const choice = chooseLead([lead('5', { attemptStarts: [at(9)] })], capped, new DncList([]), at(10));
    expect(choice.dial).toBeNull();
    expect(choice.holds[0]).toMatchObject({ leadId: '5', kind: 'later', reason: '1 attempt(s) per day reached' });
    expect(chooseLead([lead('6'), lead('7')], settings, new DncList([{ digits: '7926', kind: 'prefix' }]), at(10), 1).holds).toHaveLength(1);
  });
});

describe('local time by zone, computed from a cached offset', () => {
  it('agrees with Intl every 37 minutes over two years, across DST zones too', async () => {
    const { localTime } = await import('../../../src/core/pacing/local-time.ts');
    for (const tz of ['Europe/Moscow', 'Asia/Kamchatka', 'Europe/Berlin', 'America/New_York']) {
      const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += 37 * MIN) {
        const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
        const l = localTime(t, tz);
        const want = [Number(p.year), Number(p.month), Number(p.day), Number(p.hour) * 60 + Number(p.minute), ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday ?? '') + 1];
        if ([l.year, l.month, l.day, l.minutes, l.weekday].join() !== want.join()) expect({ tz, t: new Date(t).toISOString(), got: l }).toEqual({ tz, t: new Date(t).toISOString(), got: want });
      }
    }
  });
});
