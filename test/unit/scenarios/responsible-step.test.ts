import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { B24Gateway, RestOutcome } from '../../../src/adapters/bitrix24/gateway.ts';
import type { NewOutboxEntry } from '../../../src/app/crm/handoff-ports.ts';
import { InboundCrm } from '../../../src/app/inbound/inbound-crm.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { parseWhatIf } from '../../../src/app/inbound/render-explanation.ts';
import { factsOf, ResponsibleLookup } from '../../../src/app/inbound/responsible-lookup.ts';
import { describeAction } from '../../../src/core/scenarios/explain.ts';
import type { ResponsibleFacts } from '../../../src/core/scenarios/responsible-step.ts';
import type { InboundAction } from '../../../src/core/scenarios/step-machine.ts';
import { loadRulesFromTexts } from '../../../src/adapters/rules/load.ts';
import { inboundErrors, inboundRules, WEDNESDAY_NOON } from './support.ts';

const YAML = `
phoneDial: PJSIP/{extension}
missedCallOwner: 4
numbers:
  - { number: '+74951234500', scenario: main }
  - { number: '+74951234501', scenario: all-phones }
  - { number: '+74951234502', scenario: away }
  - { number: '+74951234503', scenario: any }
  - { number: '+74951234504', scenario: menu }
  - { number: '+74951234505', scenario: fb-order }
  - { number: '+74951234506', scenario: fb-random }
  - { number: '+74951234507', scenario: fb-queue }
  - { number: '+74951234508', scenario: fb-all }
  - { number: '+74951234509', scenario: shares-step }
scenarios:
  - id: main
    department: 10
    steps:
      - responsible: { ringTime: 20, fallback: { user: 3 } }
      - group: pair
  - id: all-phones
    department: 10
    steps: [{ responsible: { mobile: all, mobileRingTime: 25 } }, hangup]
  - id: away
    department: 10
    steps: [{ responsible: { bitrix24State: true, mobile: none } }, hangup]
  - id: any
    steps: [{ employee: 1 }, { group: pair }, anyManager, hangup]
  - id: menu
    steps: [{ play: welcome }, hangup]
  - id: fb-order
    steps: [{ responsible: { mobile: none, fallback: { group: pair } } }, hangup]
  - id: fb-random
    steps: [{ responsible: { mobile: none, fallback: { group: shares } } }, hangup]
  - id: fb-queue
    steps: [{ responsible: { mobile: none, fallback: { group: rr } } }, hangup]
  - id: fb-all
    steps: [{ responsible: { mobile: none, fallback: { group: both } } }, hangup]
  - id: shares-step
    steps: [{ group: shares }, hangup]
groups:
  - { id: pair, strategy: order, ringTime: 10, members: [2, 3] }
  - { id: shares, strategy: wrandom, ringTime: 12, members: [{ user: 2, weight: 4 }, { user: 3 }, { user: 4 }] }
  - { id: rr, strategy: rrmemory, ringTime: 25, members: [2, 3] }
  - { id: both, strategy: all, ringTime: 15, members: [2, 3] }
`;
const RULES = inboundRules(YAML);

const MANAGER: ResponsibleFacts = { user: '1', extension: '100', phones: ['+79261234567', '+74951112233'], timeman: 'OPENED' };

const brief = (a: InboundAction): string => {
  switch (a.kind) {
    case 'dial': return `dial ${a.dial} ${a.ringTime}s`;
    case 'forward': return `forward ${a.number} ${a.ringTime}s for ${a.ringing?.map((r) => r.user).join(',') ?? ''}`;
    case 'probe': return `probe ${a.devices.join('&')}`;
    case 'queue': return `queue ${a.queue} ${a.ringTime}s`;
    case 'hangup': return `hangup ${a.reason}`;
    default: return a.kind;
  }
};

/** A call through the service: each action answered with the next of `results` (default NOANSWER). */
async function walk(did: string, results: string[], found: ResponsibleFacts | null = MANAGER, crm?: InboundCrm, random = 0): Promise<{ actions: string[]; lookups: number }> {
  let lookups = 0;
  const service = new InboundService({
    rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => random,
    responsible: { find: () => { lookups++; return Promise.resolve(found); } },
    ...(crm ? { observe: crm.observe } : {}),
  });
  const actions: string[] = [];
  let state = '';
  let result = '';
  for (let i = 0; i < 20; i++) {
    const a = await service.stepWithCrm({ did, state, result, caller: '+79161234567', uniqueid: 'u1', linkedid: 'L1' });
    actions.push(brief(a.action));
    if (a.state === '') break;
    state = a.state;
    result = results.shift() ?? 'NOANSWER';
  }
  return { actions, lookups };
}

describe('inbound step "responsible"', () => {
  it('rings the responsible manager\'s phone, then their mobile through outbound routing, then the fallback, then the next step', async () => {
    const { actions } = await walk('74951234500', ['/NOT_INUSE']);
    expect(actions).toEqual([
      'probe PJSIP/100',
      'dial PJSIP/100 20s',
      'forward +79261234567 30s for 1',
      'dial PJSIP/102 20s',
      'dial PJSIP/101 10s', 'dial PJSIP/102 10s',
      'hangup end of scenario "main"',
    ]);
  });

  it('an offline phone is skipped at once: straight to the mobile; answered there, the call is done', async () => {
    const { actions } = await walk('74951234500', ['/UNAVAILABLE', 'ANSWER']);
    expect(actions).toEqual(['probe PJSIP/100', 'forward +79261234567 30s for 1', 'hangup answered']);
  });

  it('mobile: all tries PERSONAL_MOBILE, then WORK_PHONE', async () => {
    const { actions } = await walk('74951234501', ['/NOT_INUSE']);
    expect(actions).toEqual(['probe PJSIP/100', 'dial PJSIP/100 20s', 'forward +79261234567 25s for 1', 'forward +74951112233 25s for 1', 'hangup hang-up step all-phones#2']);
  });

  it('bitrix24State: a user whose working day is closed is not rung at all', async () => {
    const { actions } = await walk('74951234502', [], { ...MANAGER, timeman: 'CLOSED' });
    expect(actions).toEqual(['hangup hang-up step away#2']);
    expect((await walk('74951234502', ['/NOT_INUSE'], { ...MANAGER, timeman: 'OPENED' })).actions).toEqual(['probe PJSIP/100', 'dial PJSIP/100 20s', 'hangup hang-up step away#2']);
  });

  it('a fallback group rung in order goes member by member, each for the group\'s ringTime; a member answering ends the call', async () => {
    expect((await walk('74951234505', ['/NOT_INUSE'])).actions).toEqual([
      'probe PJSIP/100', 'dial PJSIP/100 20s', 'dial PJSIP/101 10s', 'dial PJSIP/102 10s', 'hangup hang-up step fb-order#2',
    ]);
    expect((await walk('74951234505', ['/UNAVAILABLE', 'NOANSWER', 'ANSWER'])).actions).toEqual(['probe PJSIP/100', 'dial PJSIP/101 10s', 'dial PJSIP/102 10s', 'hangup answered']);
  });

  it.each([0, 0.37, 0.99])('a weighted fallback group rings in the order a group step draws with the same randomness (%s)', async (random) => {
    const asGroupStep = (await walk('74951234509', [], null, undefined, random)).actions.slice(0, -1);
    expect(asGroupStep).toHaveLength(3);
    expect((await walk('74951234506', ['/UNAVAILABLE'], MANAGER, undefined, random)).actions).toEqual(['probe PJSIP/100', ...asGroupStep, 'hangup hang-up step fb-random#2']);
  });

  it('a fallback group with memory across calls rings through its Asterisk queue, once; a queue timeout goes on to the next step', async () => {
    expect((await walk('74951234507', ['/UNAVAILABLE', 'TIMEOUT'])).actions).toEqual(['probe PJSIP/100', 'queue connector-rr 25s', 'hangup hang-up step fb-queue#2']);
  });

  it('a fallback group of strategy all rings everyone at once', async () => {
    expect((await walk('74951234508', ['/UNAVAILABLE'])).actions).toEqual(['probe PJSIP/100', 'dial PJSIP/101&PJSIP/102 15s', 'hangup hang-up step fb-all#2']);
  });

  it('a caller the CRM does not know (or not in time) goes on to the next step', async () => {
    const { actions, lookups } = await walk('74951234500', [], null);
    expect(actions).toEqual(['dial PJSIP/101 10s', 'dial PJSIP/102 10s', 'hangup end of scenario "main"']);
    expect(lookups).toBe(1);
  });

  it('the lookup gives up at its deadline; its late answer serves the call\'s next step', async () => {
    let answer: (o: RestOutcome) => void = () => undefined;
    const gateway: B24Gateway = {
      call: () => new Promise<RestOutcome>((r) => { answer = r; }),
      batch: () => Promise.reject(new Error('no batch')),
    };
    const lookup = new ResponsibleLookup({ gateway: () => gateway, defaultCountry: () => 'RU', now: () => 0, logger: silentLogger });
    expect(await lookup.find('+79161234567', 20)).toBeNull();
    answer({ ok: true, result: [{ CRM_ENTITY_TYPE: 'CONTACT', ASSIGNED_BY_ID: 7, ASSIGNED_BY: { ID: '7', USER_PHONE_INNER: '107', PERSONAL_MOBILE: '8 (926) 123-45-67', WORK_PHONE: '' } }], more: false, total: 1 });
    await new Promise((r) => setImmediate(r));
    expect(await lookup.find('+79161234567', 20)).toEqual({ user: '7', extension: '107', phones: ['+79261234567'], timeman: null });
  });

  it('reads ASSIGNED_BY of the first entity that has one', () => {
    expect(factsOf([{ ASSIGNED_BY_ID: 0 }, { ASSIGNED_BY: { ID: '12', TIMEMAN_STATUS: 'paused', WORK_PHONE: '+7 495 111-22-33', PERSONAL_MOBILE: '+7 495 111-22-33' } }], 'RU'))
      .toEqual({ user: '12', extension: null, phones: ['+74951112233'], timeman: 'PAUSED' });
    expect(factsOf([], 'RU')).toBeNull();
  });

  it('rules: bare words, and errors naming the place', () => {
    expect(inboundErrors(YAML)).toEqual([]);
    expect(inboundErrors(`
scenarios: [{ id: m, steps: [{ responsible: { fallback: { group: nope } } }] }]
`).join('\n')).toMatch(/steps\[0\]\.responsible\.fallback\.group: unknown group "nope"[\s\S]*steps\[0\]\.responsible\.mobile: scenario "m" calls the responsible's mobile: it needs a department/);
    expect(inboundErrors(`
scenarios: [{ id: m, department: 10, steps: [{ responsible: { mobile: second } }] }]
`).join('\n')).toMatch(/steps\[0\]\.responsible\.mobile: Invalid option/);
    const slow = loadRulesFromTexts('rules', {
      'trunks.yaml': 'trunks:\n  - { id: sip, kind: sip, dial: "PJSIP/{e164}@sip", tariffs: { default: 1 } }\n',
      'departments.yaml': 'departments:\n  - { id: 10, name: Sales, trunks: [sip] }\n',
      'users.yaml': 'users: []\n',
      'inbound.yaml': 'scenarios: [{ id: m, department: 10, steps: [{ responsible: { lookupTimeout: 5 } }] }]\n',
    });
    expect(slow.warnings.join('\n')).toMatch(/steps\[0\]\.responsible\.lookupTimeout: 5 s: longer than the shipped dialplan's CONNECTOR_INBOUND_DEADLINE/);
  });
});

describe('inbound explain with the new steps', () => {
  const service = new InboundService({ rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => 0 });
  const text = (e: ReturnType<typeof service.explain>) => ('error' in e ? [e.error] : e.steps.map((s) => describeAction(s.action)));

  it('shows the responsible manager given, their offline phone skipped, their mobile, the fallback', () => {
    const what = parseWhatIf({ responsible: '1', responsiblePhones: '8 926 123-45-67', offline: '100' }, RULES);
    if ('error' in what) throw new Error(what.error);
    expect(text(service.explain({ did: '74951234500', at: WEDNESDAY_NOON, keys: [], ...what }))).toEqual([
      'read the device state of PJSIP/100',
      'forward to +79261234567 (outbound routing, origin inbound, department 10) for user 1',
      'dial PJSIP/102 for 20 s (rings 102 user 3)',
      'dial PJSIP/101 for 10 s (rings 101 user 2)',
      'dial PJSIP/102 for 10 s (rings 102 user 3)',
      'hang up (end of scenario "main")',
    ]);
  });

  it('without one, the lookup finds nobody and the step is passed; the missed call is the last one rung\'s', () => {
    const e = service.explain({ did: '74951234500', at: WEDNESDAY_NOON, keys: [] });
    if ('error' in e) throw new Error(e.error);
    expect(e.steps[0]?.reasons).toContain('main#1: no responsible manager found for the caller in time: next step');
    expect(e.missedOwner).toEqual({ user: '3', why: 'the last one rung' });
    const responsible = service.explain({ did: '74951234500', at: WEDNESDAY_NOON, keys: [], responsible: MANAGER });
    expect('error' in responsible ? null : responsible.missedOwner).toEqual({ user: '1', why: 'the responsible manager' });
    const nobody = service.explain({ did: '74951234504', at: WEDNESDAY_NOON, keys: [] });
    expect('error' in nobody ? null : nobody.missedOwner).toEqual({ user: '4', why: 'missedCallOwner' });
  });

  it('bad what-ifs are refused naming the option', () => {
    expect(parseWhatIf({ responsible: 'anna' }, RULES)).toEqual({ error: 'responsible: "anna" is not a Bitrix24 user id' });
    expect(parseWhatIf({ offline: '101,x' }, RULES)).toEqual({ error: 'offline: "x" is not an extension' });
  });
});

describe('inbound step "anyManager"', () => {
  it('probes everyone the scenario names and rings the first free phone', async () => {
    const { actions } = await walk('74951234503', ['NOANSWER', 'NOANSWER', 'NOANSWER', '/INUSE/UNAVAILABLE/NOT_INUSE', 'NOANSWER']);
    expect(actions).toEqual(['dial PJSIP/100 20s', 'dial PJSIP/101 10s', 'dial PJSIP/102 10s', 'probe PJSIP/100&PJSIP/101&PJSIP/102', 'dial PJSIP/102 20s', 'hangup hang-up step any#4']);
  });

  it('nobody free: the next step', async () => {
    const { actions } = await walk('74951234503', ['NOANSWER', 'NOANSWER', 'NOANSWER', '/INUSE/RINGING/UNAVAILABLE']);
    expect(actions.slice(-2)).toEqual(['probe PJSIP/100&PJSIP/101&PJSIP/102', 'hangup hang-up step any#4']);
  });
});

function outbox() {
  const entries: NewOutboxEntry[] = [];
  return {
    entries,
    enqueueMany: (list: readonly NewOutboxEntry[]) => Promise.resolve(list.map((e) => {
      const i = entries.findIndex((x) => x.dedupeKey === e.dedupeKey);
      if (i < 0) entries.push(e);
      return { id: i < 0 ? entries.length : i + 1 };
    })),
  };
}

describe('missed inbound calls are always owned', () => {
  const finishOf = async (box: ReturnType<typeof outbox>) => {
    await new Promise((r) => setImmediate(r));
    const finish = box.entries.find((e) => e.method === 'telephony.externalcall.finish');
    const register = box.entries.find((e) => e.method === 'telephony.externalcall.register');
    return { finish: finish?.params, register: register?.params };
  };

  it('by the responsible manager, though colleagues were rung after them', async () => {
    const box = outbox();
    const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, logger: silentLogger });
    await walk('74951234500', ['/NOT_INUSE'], MANAGER, crm);
    crm.ended('L1', null);
    expect(await finishOf(box)).toMatchObject({ finish: { USER_ID: '1', STATUS_CODE: '304' }, register: { USER_ID: '1', TYPE: 2 } });
  });

  it('by the responsible manager, though a weighted fallback group rang after them', async () => {
    const box = outbox();
    const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, logger: silentLogger });
    await walk('74951234506', ['/NOT_INUSE'], MANAGER, crm, 0.37);
    crm.ended('L1', null);
    expect(await finishOf(box)).toMatchObject({ finish: { USER_ID: '1', STATUS_CODE: '304' } });
  });

  it('a call that rang nobody: by missedCallOwner', async () => {
    const box = outbox();
    const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, logger: silentLogger });
    await walk('74951234504', [], null, crm);
    crm.ended('L1', null);
    expect(await finishOf(box)).toMatchObject({ finish: { USER_ID: '4', STATUS_CODE: '304' }, register: { USER_ID: '4', PHONE_NUMBER: '+79161234567' } });
  });

  it('after a connector restart mid-call: by the owner the dialplan kept', async () => {
    const box = outbox();
    const crm = new InboundCrm({ outbox: box, rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, logger: silentLogger });
    crm.ended('L9', null, { did: '74951234500', caller: '89161234567', owner: '2' });
    expect(await finishOf(box)).toMatchObject({ finish: { USER_ID: '2', STATUS_CODE: '304' }, register: { USER_ID: '2', PHONE_NUMBER: '+79161234567', EXTERNAL_CALL_ID: 'L9' } });
  });
});
