import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyOutcome } from '../../../src/core/outcome/classify.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';

/**
 * Every (DIALSTATUS, HANGUPCAUSE) pair in the real Asterisk 22.10.1 lab captures, with what the
 * lab's route server did next: another `dial` = rotate, `stop` = stop. Needs ../shared/data
 * (real captures are never copied into the repository), hence the skip on a bare clone.
 */
const LAB = 'ami-captures/asterisk-22.10.1-lab';

interface Pair {
  readonly status: string;
  readonly cause: number;
  readonly source: string;
}

function fastAgiPairs(): (Pair & { readonly labAction: 'rotate' | 'stop' })[] {
  const dir = sharedPath(LAB);
  const out: (Pair & { labAction: 'rotate' | 'stop' })[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /^fastagi-session-\d+\.txt$/.test(f)).sort()) {
    const text = fs.readFileSync(`${dir}/${file}`, 'utf8');
    const status = /^<< agi_arg_3: ?(.*)$/m.exec(text)?.[1]?.trim() ?? '';
    const cause = Number(/^<< agi_arg_4: ?(.*)$/m.exec(text)?.[1]?.trim() ?? '0');
    if (status === '') continue; // the first route request of a call: nothing was dialled yet
    const action = /^>> SET VARIABLE ROUTE_ACTION "(\w+)"/m.exec(text)?.[1];
    out.push({ status, cause, source: file, labAction: action === 'dial' ? 'rotate' : 'stop' });
  }
  return out;
}

function userEventPairs(): Pair[] {
  const dir = sharedPath(LAB);
  const out: Pair[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => /^ami-.*\.txt$/.test(f)).sort()) {
    const blocks = fs.readFileSync(`${dir}/${file}`, 'utf8').split(/\r?\n\r?\n/);
    for (const block of blocks) {
      if (!/^UserEvent: ConnectorAttempt$/m.test(block)) continue;
      const status = /^DialStatus: (.*)$/m.exec(block)?.[1]?.trim() ?? '';
      const cause = Number(/^HangupCause: (.*)$/m.exec(block)?.[1]?.trim() ?? '0');
      out.push({ status, cause, source: file });
    }
  }
  return out;
}

// DECISIONS §9 for the pairs the lab produced, written out by hand.
const EXPECTED: Record<string, 'rotate' | 'stop'> = {
  'CONGESTION/34': 'rotate',
  'BUSY/0': 'stop',
  'NOANSWER/0': 'stop',
  'CHANUNAVAIL/68': 'rotate',
  'CHANUNAVAIL/21': 'stop',
  'CHANUNAVAIL/0': 'rotate',
  'CHANUNAVAIL/41': 'rotate',
};

describe.skipIf(!hasSharedData)('classifyOutcome against the lab captures (asterisk-22.10.1-lab)', () => {
  it('agrees with what the lab route server did after every FastAGI route request', () => {
    const pairs = fastAgiPairs();
    expect(pairs.length).toBeGreaterThanOrEqual(7);
    for (const p of pairs) {
      expect({ ...p, decision: classifyOutcome(p.status, p.cause) }).toEqual({ ...p, decision: p.labAction });
    }
  });

  it('classifies every ConnectorAttempt UserEvent pair as DECISIONS §9 says', () => {
    const pairs = userEventPairs();
    expect(pairs.length).toBeGreaterThanOrEqual(7);
    for (const p of pairs) {
      const key = `${p.status}/${p.cause}`;
      expect(EXPECTED[key], `pair ${key} from ${p.source} has no expected outcome in this table`).toBeDefined();
      expect(classifyOutcome(p.status, p.cause), `${key} from ${p.source}`).toBe(EXPECTED[key]);
    }
  });

  it('covers every pair of the hand table (no stale expectation)', () => {
    const seen = new Set([...userEventPairs(), ...fastAgiPairs()].map((p) => `${p.status}/${p.cause}`));
    expect([...seen].sort()).toEqual(Object.keys(EXPECTED).sort());
  });
});
