import { loadRulesFromTexts } from '../../src/adapters/rules/load.ts';
import type { EndedCall } from '../../src/app/calls/ports.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';

/**
 * A small call centre for the savings report: an MTS and a Beeline gateway, a SIP provider that is
 * cheap to Moscow landlines and billed per second; Sales may use all three, HR only Beeline.
 */
export const SAVINGS_RULES = {
  'routing.yaml': 'timezone: Europe/Moscow\n',
  'trunks.yaml': `
trunks:
  - { id: gsm-mts, kind: gsm, carrier: mts, dial: 'PJSIP/{number}@gw-mts', callerIds: ['+79161230001'],
      tariffs: { byCarrier: { mts: 0.0 }, default: 2.5, increment: 60/60 } }
  - { id: gsm-beeline, kind: gsm, carrier: beeline, dial: 'PJSIP/{number}@gw-beeline', callerIds: ['+79031230003'],
      tariffs: { byCarrier: { beeline: 0.2 }, default: 1.5, increment: 60/1 } }
  - { id: sip-uni, kind: sip, dial: 'PJSIP/{e164}@uni', callerIds: ['+74951234500'],
      tariffs: { byPrefix: { '7495': 0.4 }, default: 1.2, increment: 1/1 } }
`,
  'departments.yaml': `
departments:
  - { id: 10, name: Sales, trunks: [gsm-mts, gsm-beeline, sip-uni], defaultTrunk: gsm-beeline }
  - { id: 11, name: Sales Moscow, parent: 10 }
  - { id: 20, name: HR, trunks: [gsm-beeline], defaultTrunk: gsm-beeline }
`,
};

/** The rules above, with some files' texts edited (a tariff or zone change). */
export function savingsRules(edit: (files: Record<string, string>) => void = () => undefined): CompiledRules {
  const files: Record<string, string> = { ...SAVINGS_RULES };
  edit(files);
  const loaded = loadRulesFromTexts('savings', files, { knownCarriers: ['mts', 'beeline', 'tele2', 'megafon'] });
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  return loaded.compiled;
}

/** The test's own copy of the tariffs above: per-minute price by trunk and destination, and increment. */
export const TEST_TARIFFS: Record<string, { price: (dest: TestDest) => number; first: number; step: number; canCarry: (dest: TestDest) => boolean }> = {
  'gsm-mts': { price: (d) => (d.carrier === 'mts' ? 0 : 2.5), first: 60, step: 60, canCarry: (d) => d.country === 'RU' },
  'gsm-beeline': { price: (d) => (d.carrier === 'beeline' ? 0.2 : 1.5), first: 60, step: 1, canCarry: (d) => d.country === 'RU' },
  'sip-uni': { price: (d) => (d.number.startsWith('+7495') ? 0.4 : 1.2), first: 1, step: 1, canCarry: () => true },
};

export interface TestDest {
  readonly number: string;
  readonly carrier: string | null;
  readonly country: string;
}

/** The kinds of callee the fixture calls, as the numbering plan would tell them. */
export const DESTINATIONS: readonly TestDest[] = [
  { number: '+79161112233', carrier: 'mts', country: 'RU' },
  { number: '+79165554433', carrier: 'mts', country: 'RU' },
  { number: '+79031112233', carrier: 'beeline', country: 'RU' },
  { number: '+79771112233', carrier: 'tele2', country: 'RU' },
  { number: '+79261112233', carrier: 'megafon', country: 'RU' },
  { number: '+74951112233', carrier: null, country: 'RU' },
  { number: '+74991112233', carrier: null, country: 'RU' },
  { number: '+493012345678', carrier: null, country: 'DE' },
];

/** A priced test call as the tracker stores it when the call ends (answered when it has talk time). */
export function endedTestCall(c: {
  readonly id: string; readonly department: string | null; readonly dest: TestDest; readonly trunk: string; readonly durationSec: number; readonly startedAt: number;
}, cost: number | null): EndedCall {
  const mobile = c.dest.carrier !== null;
  return {
    call: {
      id: c.id, crmCallId: null, channelId: null, linkedid: `L-${c.id}`, origin: 'phone', userId: null, extension: '100',
      number: c.dest.number, numberE164: c.dest.number, line: null, state: 'ended',
      plan: {
        attempts: [], manualLine: null, rotateAfterManualLine: false, maxAttempts: 5, record: true,
        carrier: c.dest.carrier, onNet: mobile ? c.dest.carrier : null, country: c.dest.country, department: c.department,
      },
      refusalCode: null, refusalMessage: null, startedAt: c.startedAt,
    },
    statusCode: c.durationSec > 0 ? '200' : '304', failedReason: null, trunkId: c.trunk, b24Line: null,
    answeredAt: c.durationSec > 0 ? c.startedAt + 5000 : null, endedAt: c.startedAt + 5000 + c.durationSec * 1000,
    durationSec: c.durationSec, cost, recording: null, tracked: {}, crmHandoff: 'done', newAttempts: [], attemptOutcomes: [],
  };
}
