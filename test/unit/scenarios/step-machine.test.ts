import { describe, expect, it } from 'vitest';
import { explainCall } from '../../../src/core/scenarios/explain.ts';
import { weightedOrder } from '../../../src/core/scenarios/group-order.ts';
import { formatPosition, parsePosition } from '../../../src/core/scenarios/position.ts';
import { decideStep, type InboundAction } from '../../../src/core/scenarios/step-machine.ts';
import { context, inboundRules, WEDNESDAY_NOON } from './support.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers:
  - { number: '+74951234500', scenario: main }
  - { number: '+74951234501', scenario: loop }
scenarios:
  - id: main
    department: 10
    steps:
      - time: { ranges: [{ days: [mon, tue, wed, thu, fri], from: '09:00', to: '18:00' }], holidays: ['--01-01', '2026-12-03'], outside: closed }
      - play: welcome
        seconds: 3
      - ivr: { prompt: menu, timeout: 4, tries: 2, keys: { '1': sales, '2': ext }, onTimeout: null, onInvalid: closed }
      - group: everyone
  - id: sales
    department: 10
    steps: [{ group: ordered }, { group: random }, { external: '+79261234567' }, { sip: PJSIP/office@sip.example.org }]
  - id: ext
    steps: [{ extension: { prompt: dial, timeout: 3 } }, { employee: 9 }, { employee: 1, ringTime: 15 }]
  - id: closed
    steps: [{ play: closed }, hangup]
  - id: loop
    steps: [{ goto: loop2 }]
  - id: loop2
    steps: [{ goto: loop }]
groups:
  - { id: everyone, strategy: all, ringTime: 30, members: [1, 2, 3] }
  - { id: ordered, strategy: order, ringTime: 10, members: [4, 9, { extension: 101 }] }
  - { id: random, strategy: wrandom, ringTime: 10, members: [{ user: 1, weight: 4 }, { user: 2 }, { user: 3 }] }
  - { id: rr, strategy: rrmemory, members: [1, 2] }
`);

/** Runs a call through the machine, answering each action with the next of `results`. */
function walk(did: string, results: string[], over: Parameters<typeof context>[1] = {}): InboundAction[] {
  const ctx = context(RULES, over);
  const actions: InboundAction[] = [];
  let state = '';
  let result = '';
  for (let i = 0; i < 30; i++) {
    const position = parsePosition(state);
    if (position === 'invalid') throw new Error(state);
    const d = decideStep(ctx, { did, position, result });
    actions.push(d.action);
    if (d.position === null) return actions;
    state = formatPosition(d.position);
    result = results.shift() ?? 'NOANSWER';
  }
  return actions;
}

const brief = (a: InboundAction): string => {
  switch (a.kind) {
    case 'play': return `play ${a.file}${a.seconds === null ? '' : `/${a.seconds}`}`;
    case 'read': return `read ${a.prompt ?? ''}`;
    case 'dial': return `dial ${a.dial}`;
    case 'queue': return `queue ${a.queue}`;
    case 'forward': return `forward ${a.number} dept ${a.department ?? ''}`;
    default: return a.kind;
  }
};

describe('inbound step machine', () => {
  it('in hours: plays for its time, offers the menu twice, then rings everyone at once; the answer ends it', () => {
    expect(walk('74951234500', ['', '', '', 'ANSWER']).map(brief)).toEqual([
      'play welcome/3', 'read menu', 'read menu', 'dial PJSIP/100&PJSIP/101&PJSIP/102', 'hangup',
    ]);
  });

  it('key 1: ordered group member by member (one without an extension skipped), weighted random, external forward with the department, SIP, end', () => {
    const actions = walk('74951234500', ['', '1'], { random: () => 0 }).map(brief);
    expect(actions).toEqual([
      'play welcome/3', 'read menu',
      'dial PJSIP/200', 'dial PJSIP/101',
      // random() = 0: the seed is 0; this order is fixed for that seed.
      ...weightedOrder([{ weight: 4, e: '100' }, { weight: 1, e: '101' }, { weight: 1, e: '102' }], 0).map((m) => `dial PJSIP/${m.e}`),
      'forward +79261234567 dept 10', 'dial PJSIP/office@sip.example.org', 'hangup',
    ]);
  });

  it('key 2: an extension dialled rings that employee; an employee without an extension is skipped', () => {
    expect(walk('74951234500', ['', '2', '102', 'NOANSWER']).map(brief)).toEqual([
      'play welcome/3', 'read menu', 'read dial', 'dial PJSIP/102', 'dial PJSIP/100', 'hangup',
    ]);
  });

  it('an unknown extension or none goes to the next step', () => {
    expect(walk('74951234500', ['', '2', '999']).map(brief).slice(2)).toEqual(['read dial', 'dial PJSIP/100', 'hangup']);
    expect(walk('74951234500', ['', '2', '']).map(brief).slice(2)).toEqual(['read dial', 'dial PJSIP/100', 'hangup']);
  });

  it('an invalid key, after the tries, jumps to onInvalid', () => {
    expect(walk('74951234500', ['', '7', '9']).map(brief)).toEqual(['play welcome/3', 'read menu', 'read menu', 'play closed', 'hangup']);
  });

  it.each([
    ['Wednesday 08:59 Moscow', '2026-12-02T05:59:00Z', 'play closed'],
    ['Wednesday 09:00 Moscow', '2026-12-02T06:00:00Z', 'play welcome/3'],
    ['Wednesday 17:59 Moscow', '2026-12-02T14:59:00Z', 'play welcome/3'],
    ['Wednesday 18:00 Moscow', '2026-12-02T15:00:00Z', 'play closed'],
    ['Saturday noon', '2026-12-05T09:00:00Z', 'play closed'],
    ['a dated holiday (Thursday)', '2026-12-03T09:00:00Z', 'play closed'],
    ['a yearly holiday (1 January, a Friday in 2027)', '2027-01-01T09:00:00Z', 'play closed'],
    ['UTC is still Tuesday, Moscow already Wednesday 02:00', '2026-12-01T23:00:00Z', 'play closed'],
  ])('the time step in the rules\' time zone: %s', (_what, iso, first) => {
    expect(brief(walk('74951234500', [], { now: Date.parse(iso) })[0] as InboundAction)).toBe(first);
  });

  it('a number bound to no scenario, a state it did not write, a loop of jumps: fail open, never a silent drop', () => {
    const ctx = context(RULES);
    expect(decideStep(ctx, { did: '74950000000', position: null, result: '' }).action.kind).toBe('failopen');
    expect(decideStep(ctx, { did: '74951234500', position: { scenario: 'main', step: 40, sub: 0, seed: 0 }, result: '' }).action.kind).toBe('failopen');
    expect(decideStep(ctx, { did: '74951234501', position: null, result: '' }).action).toMatchObject({ kind: 'failopen', reason: expect.stringContaining('loop') });
    expect(parsePosition('main:1:0:0|x')).toBe('invalid');
  });

  it('rrmemory and leastrecent ring through the group\'s Asterisk queue', () => {
    const rules = inboundRules(`
numbers: [{ number: '+74951234500', scenario: q }]
scenarios: [{ id: q, steps: [{ group: rr }] }]
groups: [{ id: rr, strategy: leastrecent, ringTime: 25, members: [1, 2] }]
`);
    const d = decideStep(context(rules), { did: '74951234500', position: null, result: '' });
    expect(d.action).toEqual({ kind: 'queue', queue: 'connector-rr', ringTime: 25, ringing: [{ user: '1', extension: '100' }, { user: '2', extension: '101' }] });
  });

  it('weighted random: a member with 4× the weight rings first about 4× as often (seeded)', () => {
    const first = new Map<string, number>();
    for (let seed = 0; seed < 6000; seed++) {
      const order = weightedOrder([{ weight: 4, id: 'a' }, { weight: 1, id: 'b' }, { weight: 1, id: 'c' }], seed * 2654435761);
      first.set(order[0]?.id ?? '', (first.get(order[0]?.id ?? '') ?? 0) + 1);
    }
    const a = first.get('a') ?? 0;
    expect(a / 6000).toBeGreaterThan(0.6);
    expect(a / 6000).toBeLessThan(0.73);
    expect(Math.abs((first.get('b') ?? 0) - (first.get('c') ?? 0))).toBeLessThan(200);
  });

  it('explain: the path with a reason per step, nobody answering, keys taken in turn', () => {
    const e = explainCall(context(RULES), { did: '74951234500', keys: ['2', '101'] });
    expect(e.steps.map((s) => brief(s.action))).toEqual(['play welcome/3', 'read menu', 'read dial', 'dial PJSIP/101', 'dial PJSIP/100', 'hangup']);
    const reasons = e.steps.flatMap((s) => s.reasons).join('\n');
    expect(reasons).toContain('2026-12-02 12:00 (Europe/Moscow) is inside the hours');
    expect(reasons).toContain('key 2 → scenario "ext"');
    expect(reasons).toContain('user 9 has no extension: skipped');
    expect(e.end).toBe('hang up: end of scenario "ext"');
    expect(WEDNESDAY_NOON).toBe(Date.parse('2026-12-02T12:00:00+03:00'));
  });
});
