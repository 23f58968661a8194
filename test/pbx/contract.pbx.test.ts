import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amiRecord } from '../../src/adapters/asterisk/ami/codec.ts';
import { startPbxDouble, type PbxDouble, type TrunkRule } from '../../src/doubles/asterisk/index.ts';
import { FakeFastAgi, routeAnswer } from './fake-fastagi.ts';
import { freePort, labNumber, PbxTier, TIER_START_MS } from './harness.ts';
import { LabAmi } from './lab-ami.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';

/**
 * The PBX double held to the real server: the same desk-phone calls, routed by the same scripted
 * route server, on both. Compared: what the call tracker consumes (its AMI events and their key
 * fields, in order per call leg) and the FastAGI request environment. The lab's Local channels
 * come in pairs where production has one PJSIP channel: only the half that stands for it is kept
 * (the dialling half of the phone, the outbound half of each trunk).
 */

type Row = Record<string, string>;
const TRACKED = new Set(['Newchannel', 'Hangup', 'DialBegin', 'DialEnd', 'BridgeEnter', 'UserEvent', 'OriginateResponse']);

/**
 * Per leg (caller, trunk 1, trunk 2…), what the tracker reads, in order; `originated`: the call is
 * a click-to-call (a desk-phone call's OriginateResponse is the lab's way of lifting the handset).
 */
function legs(events: readonly Row[], linkedid: string, originated: boolean): Record<string, string[]> {
  const mine = events.filter((e) => e.linkedid === linkedid || e.destlinkedid === linkedid || e.uniqueid === linkedid);
  // The caller is the channel running the connector's contexts (not the lab's Originate of the phone).
  const caller = mine.find((e) => e.uniqueid !== undefined && (e.context ?? '').startsWith('connector-'))?.uniqueid;
  const trunks = mine.filter((e) => e.event === 'DialBegin' && e.uniqueid === caller).map((e) => e.destuniqueid);
  const role = (uniqueid: string | undefined): string | undefined =>
    uniqueid === caller ? 'caller' : trunks.includes(uniqueid) ? `trunk ${trunks.indexOf(uniqueid) + 1}` : undefined;
  const out: Record<string, string[]> = {};
  for (const e of mine) {
    if (!TRACKED.has(e.event ?? '') || (e.event === 'UserEvent' && !(e.userevent ?? '').startsWith('Connector'))) continue;
    const dial = e.event === 'DialBegin' || e.event === 'DialEnd';
    // OriginateResponse comes from Asterisk's originate thread: its place among the dialplan's events is a race.
    const who = e.event === 'OriginateResponse' ? (originated ? 'originate' : undefined) : role(dial ? e.destuniqueid : e.uniqueid);
    if (!who) continue;
    const detail = {
      // An Originate ringing the manager's phone dials the phone's own address (Local/… in the lab, PJSIP/… in production).
      DialBegin: who === 'caller' ? '<phone>' : e.dialstring, DialEnd: e.dialstatus, Hangup: e.cause, OriginateResponse: `${e.response} ${e.reason}`,
      UserEvent: `${e.userevent} ${e.attempt ?? ''}/${e.dialstatus ?? ''}/${e.hangupcause ?? e.agistatus ?? ''}`,
    }[e.event ?? ''];
    (out[who] ??= []).push(detail === undefined ? e.event! : `${e.event} ${detail}`);
  }
  return out;
}

/** The FastAGI environment with what legitimately differs between two calls (ids, ports, channel names) masked. */
function agiEnv(env: Readonly<Record<string, string>>, linkedid: string): Row {
  const masked: Row = {};
  for (const [k, v] of Object.entries(env)) {
    masked[k] = ['agi_channel', 'agi_uniqueid', 'agi_threadid', 'agi_request', 'agi_type'].includes(k) ? '*' : v === linkedid ? 'LINKEDID' : v;
  }
  return masked;
}

/** A route server answering each request of a call from `routes` in order (then stop), keeping the environments. */
async function scriptedRoutes(routes: readonly string[]): Promise<{ fake: FakeFastAgi; envs: Row[] }> {
  const envs: Row[] = [];
  const fake = await FakeFastAgi.start({
    kind: 'commands',
    commands: (env) => {
      envs.push({ ...env });
      const dial = routes[envs.length - 1];
      return [dial ? routeAnswer({ action: 'dial', dial, callerId: '74951234510', timeout: 2, record: 1 }) : routeAnswer({ action: 'stop' })];
    },
  });
  return { fake, envs };
}

interface Scenario {
  readonly name: string;
  readonly id: number;
  readonly kinds: Parameters<typeof labNumber>[1];
  readonly routes: number;
  readonly down?: boolean;
  /** A click-to-call (an Originate of the manager's phone 100) instead of a desk-phone call. */
  readonly click?: boolean;
}
const SCENARIOS: readonly Scenario[] = [
  { name: 'congestion, then answered', id: 50, kinds: ['congestion'], routes: 2 },
  { name: 'busy', id: 51, kinds: ['busy'], routes: 1 },
  { name: 'no credit, then rejected', id: 52, kinds: ['nobalance', 'rejected'], routes: 2 },
  { name: 'the route server down: fail-open', id: 53, kinds: [], routes: 0, down: true },
  { name: 'a click-to-call: congestion, then answered', id: 54, kinds: ['congestion'], routes: 2, click: true },
];

/** The lab trunk behaviours as the double's trunk script for the same dial strings. */
function doubleTrunks(): TrunkRule[] {
  const outcome = { answer: { kind: 'answer', ringMs: 0, talkMs: 2000 }, congestion: { kind: 'hangup', cause: 34 }, busy: { kind: 'busy' }, nobalance: { kind: 'hangup', cause: 68 }, rejected: { kind: 'hangup', cause: 21 } } as const;
  return SCENARIOS.flatMap((s) => [0, 1].map((i): TrunkRule => ({
    match: `Local/${labNumber(s.id, s.kinds).slice(1)}@lab-t${i + 1}`,
    outcome: outcome[(s.kinds[i] ?? 'answer') as keyof typeof outcome],
  }))).concat([{ match: '*@lab-failopen', outcome: { kind: 'answer', ringMs: 0, talkMs: 2000 } }]);
}

/** The connector's click-to-call Originate (docs/asterisk.md), with the route server of the test. */
function originate(channelId: string, phone: string, number: string, variable: string): Record<string, string> {
  return {
    Action: 'Originate', Channel: phone, Context: 'connector-outbound', Exten: number.slice(1), Priority: '1', Timeout: '3000',
    CallerID: `"${number}" <100>`, Async: 'true', ChannelId: channelId, OtherChannelId: channelId.replace(/-a$/, '-b'),
    ...(variable ? { Variable: variable } : {}),
  };
}

describe.skipIf(!hasLab)(`the PBX double against the real Asterisk${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => { tier = await PbxTier.start(); }, TIER_START_MS);
  afterAll(async () => {
    await Promise.all([tier?.stop(), ...closers.map((c) => c())]);
  });

  it.concurrent.each(SCENARIOS)('$name: the same events per leg and the same route request', async (s) => {
    const number = labNumber(s.id, s.kinds);
    const routes = [1, 2].slice(0, s.routes).map((n) => `Local/${number.slice(1)}@lab-t${n}`);

    const real = await scriptedRoutes(routes);
    closers.push(() => real.fake.close());
    const agi = s.down ? `agi://127.0.0.1:${await freePort()}/route` : real.fake.url;
    let linkedid: string;
    if (s.click) {
      linkedid = `c2c-contract${s.id}-a`;
      await tier.ami.action(originate(linkedid, 'Local/100@phones', number, `CONNECTOR_AGI=${agi}`));
    } else {
      linkedid = await tier.deskCall(number, { CONNECTOR_AGI: agi });
    }
    await tier.callGone(linkedid);
    const realEvents = tier.ami.events.map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k.toLowerCase(), v])));

    const sim = await scriptedRoutes(routes);
    closers.push(() => sim.fake.close());
    const port = s.down ? await freePort() : Number(new URL(sim.fake.url.replace('agi:', 'http:')).port);
    const pbx: PbxDouble = await startPbxDouble({
      users: [{ username: 'lab', secret: 'lab-secret' }], fastAgi: { host: '127.0.0.1', port }, trunks: doubleTrunks(), timeScale: 0.05,
      failOpen: { dial: 'Local/{exten}@lab-failopen', timeoutS: 2 },
    });
    closers.push(() => pbx.close());
    let simLinkedid: string;
    if (s.click) {
      simLinkedid = linkedid;
      const ami = await LabAmi.connect(pbx.amiPort, 'lab-secret');
      closers.push(async () => ami.close());
      await ami.action(originate(simLinkedid, 'PJSIP/100', number, ''));
      await ami.waitEvent('the end of the click-to-call', (e) => e.Event === 'Hangup' && e.Uniqueid === simLinkedid);
      await pbx.idle();
    } else {
      const desk = pbx.placeDeskCall('100', number);
      await desk.finished;
      simLinkedid = desk.uniqueid;
    }
    const simEvents = pbx.events.map((e) => amiRecord(e));

    expect(legs(simEvents, simLinkedid, s.click === true)).toEqual(legs(realEvents, linkedid, s.click === true));
    expect(sim.envs.map((e) => agiEnv(e, simLinkedid))).toEqual(real.envs.map((e) => agiEnv(e, linkedid)));
  });
});
