import { afterEach, describe, expect, it } from 'vitest';
import { startFastAgiServer, type FastAgiServer } from '../../../src/adapters/asterisk/fastagi/server.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import type { RouteService } from '../../../src/app/calls/route-service.ts';
import { InboundService } from '../../../src/app/inbound/inbound-service.ts';
import { inboundRules, WEDNESDAY_NOON } from '../../unit/scenarios/support.ts';
import { runAgi } from './agi-client.ts';

const RULES = inboundRules(`
phoneDial: PJSIP/{extension}
numbers: [{ number: '+74951234500', scenario: main }]
scenarios:
  - id: main
    steps: [{ play: welcome, seconds: 3 }, { group: all }]
groups: [{ id: all, members: [1, 2] }]
`);

function environment(script: string, args: readonly string[], callerId = '79161234567'): string {
  return [
    'agi_network: yes', `agi_network_script: ${script}`, `agi_request: agi://127.0.0.1:4573/${script}`, 'agi_channel: PJSIP/trunk-00000001',
    'agi_type: PJSIP', 'agi_uniqueid: 1764666000.1', 'agi_version: 22.10.1', `agi_callerid: ${callerId}`, 'agi_context: connector-inbound',
    ...args.map((a, i) => `agi_arg_${i + 1}: ${a}`), '', '',
  ].join('\n');
}

let server: FastAgiServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(inbound: ConstructorParameters<typeof InboundService>[0] | { step(): never; answered(): void; ended(): void }): Promise<FastAgiServer> {
  const port = 'step' in inbound ? inbound : new InboundService(inbound);
  server = await startFastAgiServer({ host: '127.0.0.1', port: 0, service: {} as RouteService, inbound: port, logger: silentLogger });
  return server;
}

describe('FastAGI script "inbound"', () => {
  it('answers each step with one INBOUND variable; the state it returns leads to the next step', async () => {
    const s = await start({ rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => 0.5 });
    const first = await runAgi(s.port, environment('inbound', ['84951234500', '', '', '1764666000.1']));
    expect(first.commands).toHaveLength(1);
    expect(first.set.INBOUND).toBe('play|welcome|3||main:0:0:0|');
    const second = await runAgi(s.port, environment('inbound', ['84951234500', 'main:0:0:0', '', '1764666000.1']));
    expect(second.set.INBOUND).toBe('dial|PJSIP/100&PJSIP/101|20|1|main:1:0:0|||1');
    const third = await runAgi(s.port, environment('inbound', ['84951234500', 'main:1:0:0', 'NOANSWER', '1764666000.1']));
    // Quotes in a reason would break the dialplan's $["${INBOUND}" = ""] test: they become single ones.
    expect(third.set.INBOUND).toBe("hangup|||||end of scenario 'main'");
  });

  it('a state it never wrote, or a failure inside the connector: failopen', async () => {
    let s = await start({ rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => 0.5 });
    const forged = await runAgi(s.port, environment('inbound', ['84951234500', 'main:0:0:0;Dial(x)', '', '1']));
    expect(forged.set.INBOUND).toMatch(/^failopen\|\|\|\|\|the step state sent by the dialplan/);
    await server?.close();
    s = await start({ step: () => { throw new Error('database gone'); }, answered: () => undefined, ended: () => undefined });
    const broken = await runAgi(s.port, environment('inbound', ['84951234500', '', '', '1']));
    expect(broken.set.INBOUND).toBe('failopen|||||connector error');
  });

  it('an excluded caller is never recorded (EXTRA 0)', async () => {
    const excluded = inboundRules(`numbers: [{ number: '+74951234500', scenario: m }]\nscenarios: [{ id: m, steps: [{ employee: 1 }] }]`);
    const withExcluded = { ...excluded, rules: { ...excluded.rules, crm: { ...excluded.rules.crm, excluded: { numbers: ['+79161234567'], prefixes: [] } } } };
    const s = await start({ rules: { current: () => withExcluded }, now: () => WEDNESDAY_NOON, random: () => 0.5 });
    const r = await runAgi(s.port, environment('inbound', ['74951234500', '', '', '1']));
    expect(r.set.INBOUND).toBe('dial|PJSIP/100|20|0|m:0:0:0|||1');
  });

  it('the answer and hang-up reports reach the connector and get no command back', async () => {
    const answered: string[][] = [];
    const ended: (string | null)[][] = [];
    const s = await start({
      rules: { current: () => RULES }, now: () => WEDNESDAY_NOON, random: () => 0.5,
      events: { answered: (l, c) => answered.push([l, c]), ended: (l, r) => ended.push([l, r]) },
    });
    const a = await runAgi(s.port, environment('inbound', ['', '@answered', 'PJSIP/101-0000002a', '1764666000.1']));
    const e = await runAgi(s.port, environment('inbound', ['84951234500', '@end', '/var/spool/asterisk/monitor/1764666000.2.wav', '1764666000.1']));
    expect([a.commands, e.commands]).toEqual([[], []]);
    expect(answered).toEqual([['1764666000.1', 'PJSIP/101-0000002a']]);
    expect(ended).toEqual([['1764666000.1', '/var/spool/asterisk/monitor/1764666000.2.wav']]);
  });

  it('a voicemail or fax report names the file, the step and how it ended; a file of another kind is ignored', async () => {
    const rules = inboundRules(`
numbers: [{ number: '+74951234500', scenario: m }]
scenarios: [{ id: m, steps: [{ fax: { user: 2 } }] }]
`);
    const left: unknown[] = [];
    const s = await start({
      rules: { current: () => rules }, now: () => WEDNESDAY_NOON, random: () => 0.5,
      events: { answered: () => undefined, ended: () => undefined, message: (l, report, m) => left.push([l, report.caller, m]) },
    });
    const r = await runAgi(s.port, environment('inbound', ['84951234500', '@message', '/mon/1764666000.1-fax.tif', '1764666000.1', 'm:0:0:0', 'SUCCESS/2']));
    await runAgi(s.port, environment('inbound', ['84951234500', '@message', '/mon/1764666000.1.sh', '1764666000.1', 'm:0:0:0', '']));
    expect(r.commands).toEqual([]);
    expect(left).toEqual([['1764666000.1', '79161234567', { kind: 'fax', file: '/mon/1764666000.1-fax.tif', owner: '2', detail: 'SUCCESS/2', createLeads: null }]]);
  });
});
