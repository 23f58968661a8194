import type { PhoneScript, TrunkRule } from './scripts.ts';

/**
 * Trunk behaviour for the demo (`npm start` without a PBX): the shipped example rules dial
 * `PJSIP/{number}@gw-<carrier>` and `PJSIP/{number}@sip-…`. Numbers ending in 0 are busy, in 9 never
 * answer; the MegaFon SIM has no balance (cause 68) so calls rotate away from it; everything else
 * rings 3 s and talks 20 s.
 */
export const DEMO_TRUNKS: readonly TrunkRule[] = [
  { match: /^[^/]+\/\d*0@/, outcome: { kind: 'busy' } },
  { match: /^[^/]+\/\d*9@/, outcome: { kind: 'noanswer' } },
  { match: '*@gw-megafon', outcome: { kind: 'hangup', cause: 68 } },
  { match: '*', outcome: { kind: 'answer', ringMs: 3000, talkMs: 20_000 } },
];

/** Managers' phones in the demo answer after one second. */
export const DEMO_PHONE: PhoneScript = { kind: 'answer', afterMs: 1000 };
