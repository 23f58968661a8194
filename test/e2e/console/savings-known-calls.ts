import type { EndedCall } from '../../../src/app/calls/ports.ts';
import type { ConsoleHarness } from '../../support/console.ts';
import { DESTINATIONS, endedTestCall, TEST_TARIFFS, type TestDest } from '../../contracts/savings-fixtures.ts';

const HOUR = 3_600_000;
/** 2026-11-02 00:00 in Moscow: the first day of the period the test asks for (three days). */
export const PERIOD = { from: '2026-11-02', to: '2026-11-04', start: Date.UTC(2026, 10, 1, 21), days: ['2026-11-02', '2026-11-03', '2026-11-04'] };

const dest = (number: string): TestDest => DESTINATIONS.find((d) => d.number === number)!;

interface KnownCall { readonly id: string; readonly department: string | null; readonly dest: TestDest; readonly trunk: string; readonly durationSec: number; readonly startedAt: number }

const at = (day: number, hour: number): number => PERIOD.start + day * 24 * HOUR + hour * HOUR;

/** Calls written out by hand: on-net, rotated, no-gateway, landline, abroad, HR; one unanswered and one after the period. */
export const KNOWN_CALLS: readonly KnownCall[] = [
  { id: 'k1', department: '10', dest: dest('+79161112233'), trunk: 'gsm-mts', durationSec: 125, startedAt: at(0, 10) },
  { id: 'k2', department: '10', dest: dest('+79165554433'), trunk: 'gsm-beeline', durationSec: 61, startedAt: at(0, 11) },
  { id: 'k3', department: '10', dest: dest('+79031112233'), trunk: 'gsm-beeline', durationSec: 300, startedAt: at(1, 9) },
  { id: 'k4', department: '10', dest: dest('+79771112233'), trunk: 'gsm-beeline', durationSec: 45, startedAt: at(1, 10) },
  { id: 'k5', department: '10', dest: dest('+79261112233'), trunk: 'gsm-beeline', durationSec: 200, startedAt: at(1, 12) },
  { id: 'k6', department: '10', dest: dest('+74951112233'), trunk: 'sip-uni', durationSec: 90, startedAt: at(2, 9) },
  { id: 'k7', department: '10', dest: dest('+74991112233'), trunk: 'gsm-beeline', durationSec: 30, startedAt: at(2, 10) },
  { id: 'k8', department: '20', dest: dest('+79161112233'), trunk: 'gsm-beeline', durationSec: 180, startedAt: at(0, 14) },
  { id: 'k9', department: '20', dest: dest('+79031112233'), trunk: 'gsm-beeline', durationSec: 59, startedAt: at(2, 15) },
  { id: 'k10', department: null, dest: dest('+493012345678'), trunk: 'sip-uni', durationSec: 75, startedAt: at(2, 16) },
  { id: 'k11', department: '10', dest: dest('+79771112233'), trunk: 'gsm-beeline', durationSec: 0, startedAt: at(1, 11) },
  { id: 'k12', department: '10', dest: dest('+79161112233'), trunk: 'gsm-mts', durationSec: 100, startedAt: at(3, 10) },
];

function billed(d: number, trunk: string): number {
  const { first, step } = TEST_TARIFFS[trunk]!;
  return d <= first ? first : first + Math.ceil((d - first) / step) * step;
}

/** Price in ten-thousandths of a rouble per minute × billed seconds (exact). */
function minuteUnits(trunk: string, c: KnownCall): number {
  return Math.round(TEST_TARIFFS[trunk]!.price(c.dest) * 10_000) * billed(c.durationSec, trunk);
}

const actualUnits = (c: KnownCall): number => Math.round(minuteUnits(c.trunk, c) / 60);
const baselineMu = (c: KnownCall): number => (c.department !== null && c.dest.country === 'RU' ? minuteUnits('gsm-beeline', c) : actualUnits(c) * 60);
/** Roubles to the kopeck, half up, from exact units. */
const money = (units: number): string => (Math.round(units / 100) / 100).toFixed(2);

/** What the page must show, computed here from the calls alone (answered, in the period). */
export function expectedFigures() {
  const end = PERIOD.start + 3 * 24 * HOUR;
  const counted = KNOWN_CALLS.filter((c) => c.durationSec > 0 && c.startedAt >= PERIOD.start && c.startedAt < end);
  const sumBy = (key: (c: KnownCall) => string, f: (c: KnownCall) => number) => {
    const out = new Map<string, number>();
    for (const c of counted) out.set(key(c), (out.get(key(c)) ?? 0) + f(c));
    return out;
  };
  const actual = counted.reduce((s, c) => s + actualUnits(c), 0);
  const baseline = Math.round(counted.reduce((s, c) => s + baselineMu(c), 0) / 60);
  const dayOf = (c: KnownCall) => PERIOD.days[Math.floor((c.startedAt - PERIOD.start) / (24 * HOUR))]!;
  const depActual = sumBy((c) => c.department ?? 'unknown', actualUnits);
  const depBaseline = sumBy((c) => c.department ?? 'unknown', baselineMu);
  return {
    calls: String(counted.length),
    minutes: String(Math.round((counted.reduce((s, c) => s + billed(c.durationSec, c.trunk), 0) / 60) * 100) / 100),
    actualCost: money(actual),
    /** Roubles exact to the unit, as the CSV writes them. */
    actualRub: actual / 10_000,
    baselineRub: baseline / 10_000,
    baselineCost: money(baseline),
    saving: money(baseline - actual),
    costPerDay: [...sumBy(dayOf, actualUnits)].sort().map(([k, v]) => [k, money(v)]),
    byCarrier: [...sumBy((c) => c.dest.carrier ?? 'unknown', actualUnits)].map(([k, v]) => [k, money(v)]).sort(),
    savingByDepartment: [...depActual].map(([k, v]) => [k, money(Math.round(depBaseline.get(k)! / 60) - v)]).sort(),
  };
}

/** A known call as the tracker stores it when the call ends. */
export function endedCall(c: KnownCall): EndedCall {
  return endedTestCall(c, actualUnits(c) / 10_000);
}

/** The console's calls: the known calls, and a call traced now (rotated off gsm-mts, answered on gsm-beeline). */
export async function seedConsoleCalls(h: ConsoleHarness): Promise<void> {
  await h.calls.applyTracking({ save: [], remove: [], ended: KNOWN_CALLS.map(endedCall) });
  const now = Date.now();
  await h.db('calls').insert({
    id: 'call-1', crm_call_id: null, channel_id: 'chan-1', linkedid: 'lid-1', origin: 'phone', user_id: '1', extension: '100',
    number: '+79261234567', number_e164: '+79261234567', line: null, state: 'ended', plan: null, status_code: '200', trunk_id: 'gsm-beeline',
    started_at: now - 60_000, ended_at: now - 1000, duration_sec: 55, crm_handoff: 'done', updated_at: now,
  });
  await h.db('call_attempts').insert([
    { call_id: 'call-1', attempt_no: 1, plan_index: 0, trunk_id: 'gsm-mts', dial: 'PJSIP/89261234567@gsm-mts', dial_status: 'CONGESTION', hangup_cause: 34, decision: 'rotate', outcome_source: 'agi', started_at: now - 60_000, ended_at: now - 58_000 },
    { call_id: 'call-1', attempt_no: 2, plan_index: 1, trunk_id: 'gsm-beeline', dial: 'PJSIP/89261234567@gsm-beeline', dial_status: 'ANSWER', hangup_cause: 16, decision: 'stop', outcome_source: 'ami', started_at: now - 58_000, ended_at: now - 1000 },
  ]);
}
