import { describe, expect, it } from 'vitest';
import { CallTrackerCore, type AmiEventRecord, type TrackResult } from '../../../src/core/calls/track-event.ts';
import { summarizeCall, TALK_TIME_UNKNOWN } from '../../../src/core/calls/summarize.ts';
import type { TrackedCall } from '../../../src/core/calls/tracked-call.ts';
import { AmiScript, type ChannelRef } from './ami-fixture.ts';

const CTX = 'connector-outbound';
const ch = (uniqueid: string, linkedid: string, context = 'from-internal', exten = 's'): ChannelRef => ({ channel: `PJSIP/${uniqueid}`, uniqueid, linkedid, context, exten });

/** Feeds events; returns the calls that ended, in order. */
function feed(core: CallTrackerCore, events: readonly AmiEventRecord[]): TrackedCall[] {
  const ended: TrackedCall[] = [];
  for (const e of events) {
    const r: TrackResult = core.handle(e, Math.round(Number(e.timestamp) * 1000));
    if (r.kind === 'ended') {
      ended.push(r.call);
      core.forget(r.call.linkedid);
    }
  }
  return ended;
}

/** A desk-phone call 100 → trunk: the caller's channel in the connector context, its trunk leg. */
function deskCall(id: string): { caller: ChannelRef; leg: ChannelRef } {
  return { caller: ch(`${id}.1`, `${id}.1`, CTX, '79160000001'), leg: ch(`${id}.2`, `${id}.1`, 'from-trunk') };
}

describe('the tracker follows only calls the connector has business with', () => {
  it('an inbound call and an internal call leave nothing: no call, no state', () => {
    const core = new CallTrackerCore(CTX);
    const trunk = ch('in.1', 'in.1', 'from-trunk');
    const agent = ch('in.2', 'in.1');
    const a = ch('int.1', 'int.1');
    const b = ch('int.2', 'int.1');
    const s = new AmiScript()
      .newchannel(trunk).newchannel(agent).dialBegin(trunk, agent, 'PJSIP/101').dialEnd(trunk, agent, 'ANSWER').bridgeEnter(agent).wait(5)
      .newchannel(a).newchannel(b).dialBegin(a, b, 'PJSIP/102').dialEnd(a, b, 'ANSWER').wait(3).hangup(b, 16).hangup(a, 16).hangup(agent, 16).hangup(trunk, 16);
    expect(feed(core, s.events)).toEqual([]);
    expect(core.calls.size).toBe(0);
  });

  it('a dialled call is followed from its route request, whichever of the request and the first AMI event comes first', () => {
    for (const requestFirst of [true, false]) {
      const core = new CallTrackerCore(CTX);
      const { caller, leg } = deskCall(requestFirst ? 'r1' : 'r2');
      const s = new AmiScript().newchannel(caller);
      if (requestFirst) core.follow(caller.uniqueid, caller.linkedid, 0);
      feed(core, s.events);
      if (!requestFirst) expect(core.follow(caller.uniqueid, caller.linkedid, 0)).toMatchObject({ kind: 'updated' });
      const ended = feed(core, new AmiScript(1_795_440_101).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer')
        .dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg).wait(7).hangup(leg, 16).hangup(caller, 16).events);
      expect(ended).toHaveLength(1);
      expect(ended[0]).toMatchObject({ linkedid: caller.linkedid, callerUniqueid: caller.uniqueid, channels: 2, exten: '79160000001' });
      expect(summarizeCall(ended[0] as TrackedCall, null).durationSec).toBe(0); // no stored attempt: nothing routed
    }
  });

  it('the dialplan reporting a fail-open makes the call followed (the connector was not reachable)', () => {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('fo');
    const s = new AmiScript().newchannel(caller).userEvent(caller, 'ConnectorFailOpen', { agistatus: 'FAILURE' })
      .newchannel(leg).dialBegin({ ...caller, context: 'connector-failopen' }, leg, '79160000001@default-trunk').hangup(leg, 17).hangup(caller, 16);
    const ended = feed(core, s.events);
    expect(ended).toMatchObject([{ failOpen: true, channels: 2, legs: [{ dialString: '79160000001@default-trunk' }] }]);
  });
});

describe('channels are followed by Uniqueid across transfers (Linkedids rewritten by bridging)', () => {
  it('a blind transfer after answer: the transfer target joins the call, which ends at the last Hangup', () => {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('bt');
    core.follow(caller.uniqueid, caller.linkedid, 0);
    // The manager (caller) transfers the client (leg) to extension 102: a new channel with the call's Linkedid.
    const target = ch('bt.3', 'bt.1');
    const s = new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer-long')
      .dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg).wait(10).hangup(caller, 16)
      .newchannel(target).dialBegin(leg, target, 'PJSIP/102').dialEnd(leg, target, 'ANSWER').wait(20);
    expect(feed(core, s.events)).toEqual([]);
    const ended = feed(core, new AmiScript(1_795_440_130).hangup(target, 16).hangup(leg, 16).events);
    expect(ended).toMatchObject([{ linkedid: 'bt.1', channels: 3, live: [] }]);
    expect(ended[0]?.legs.map((l) => l.uniqueid)).toEqual(['bt.2']);
  });

  it('an attended transfer to an older internal call: the client channel takes the older Linkedid and the call keeps its own key', () => {
    const core = new CallTrackerCore(CTX);
    // 102 called 101 first (internal, older Linkedid int.1); then 101 dialled a client (call at.1)...
    const a = ch('int.1', 'int.1');
    const b = ch('int.2', 'int.1');
    const { caller, leg } = deskCall('at');
    core.follow(caller.uniqueid, caller.linkedid, 0);
    const s = new AmiScript().newchannel(a).newchannel(b).dialBegin(a, b, 'PJSIP/101').dialEnd(a, b, 'ANSWER')
      .newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer-long').dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg).wait(5)
      // ...and transferred the client to 102: bridging rewrites the client's Linkedid to the oldest, int.1.
      .hangup(caller, 16).hangup(b, 16).bridgeEnter({ ...leg, linkedid: 'int.1' }).wait(30);
    expect(feed(core, s.events)).toEqual([]);
    expect([...core.calls.keys()]).toEqual(['at.1']);
    expect(core.calls.get('at.1')).toMatchObject({ linkedids: ['at.1', 'int.1'], live: ['at.2', 'int.1'] });
    // Only when the client and 102 have both hung up has the call ended.
    expect(feed(core, new AmiScript(1_795_440_140).hangup({ ...leg, linkedid: 'int.1' }, 16).events)).toEqual([]);
    const ended = feed(core, new AmiScript(1_795_440_141).hangup(a, 16).events);
    expect(ended).toMatchObject([{ linkedid: 'at.1', legs: [{ uniqueid: 'at.2', answeredAt: 1_795_440_100_000, endedAt: 1_795_440_140_000 }] }]);
  });

  it('an attended transfer to a newer internal call: that call\'s channels take this call\'s Linkedid and join it', () => {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('an');
    core.follow(caller.uniqueid, caller.linkedid, 0);
    const consult = ch('cons.1', 'cons.1');
    const target = ch('cons.2', 'cons.1');
    const s = new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer-long').dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg)
      .newchannel(consult).newchannel(target).dialBegin(consult, target, 'PJSIP/102').dialEnd(consult, target, 'ANSWER').wait(5)
      .hangup(consult, 16).hangup(caller, 16).bridgeEnter({ ...target, linkedid: 'an.1' }).wait(10).hangup(leg, 16);
    expect(feed(core, s.events)).toEqual([]);
    expect(feed(core, new AmiScript(1_795_440_120).hangup({ ...target, linkedid: 'an.1' }, 16).events)).toMatchObject([{ linkedid: 'an.1', linkedids: ['an.1'] }]);
  });

  it('two client calls bridged together stay two calls, each closing at its own channels\' end', () => {
    const core = new CallTrackerCore(CTX);
    const one = deskCall('c1');
    const two = deskCall('c2');
    for (const c of [one, two]) core.follow(c.caller.uniqueid, c.caller.linkedid, 0);
    const s = new AmiScript();
    for (const c of [one, two]) s.newchannel(c.caller).newchannel(c.leg).dialBegin(c.caller, c.leg, '79160000001@trunk-answer-long').dialEnd(c.caller, c.leg, 'ANSWER').bridgeEnter(c.leg);
    s.hangup(one.caller, 16).hangup(two.caller, 16).bridgeEnter({ ...two.leg, linkedid: 'c1.1' }).wait(10).hangup(one.leg, 16);
    expect(feed(core, s.events).map((c) => c.linkedid)).toEqual(['c1.1']);
    expect(feed(core, new AmiScript(1_795_440_111).hangup({ ...two.leg, linkedid: 'c1.1' }, 16).events).map((c) => c.linkedid)).toEqual(['c2.1']);
  });
});

describe('what was not seen is not invented', () => {
  const stored = [{ attemptNo: 1, trunkId: 'trunk-answer', dial: 'Local/79160000001@trunk-answer', tier: 'main', perMinute: null, dialStatus: null, hangupCause: null, decision: null }];
  const route = { refusalCode: null, refusalMessage: null, stopped: false, stopReason: null, attempts: stored };

  function answeredThenLost(): TrackedCall {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('gone');
    core.follow(caller.uniqueid, caller.linkedid, 0);
    feed(core, new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer').dialEnd(caller, leg, 'ANSWER').bridgeEnter(leg).events);
    const call = core.calls.get('gone.1') as TrackedCall;
    // The connection dropped; 23 s later the PBX's list no longer has the call (CallTracker.reconcile).
    call.endedAt = 1_795_440_123_000;
    call.endUnseen = true;
    call.live = [];
    return call;
  }

  it('an answered call whose end was not seen: the PBX\'s talk time, else "unknown" — never the outage', () => {
    expect(summarizeCall(answeredThenLost(), route, { answered: true, talkSec: 2 })).toMatchObject({ durationSec: 2, status: { code: '200', failedReason: null } });
    expect(summarizeCall(answeredThenLost(), route, null)).toMatchObject({ durationSec: 0, status: { code: '200', failedReason: TALK_TIME_UNKNOWN } });
  });

  it('a leg dialled before events were missed, with only its Hangup seen, may have been answered: the PBX says so, or it is unseen', () => {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('gap');
    core.follow(caller.uniqueid, caller.linkedid, 0);
    feed(core, new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-answer').events);
    const call = core.calls.get('gap.1') as TrackedCall;
    call.gapAt = 1_795_440_101_000;
    const [ended] = feed(core, new AmiScript(1_795_440_130).hangup(leg, 16).hangup(caller, 16).events);
    expect(summarizeCall(ended as TrackedCall, route, { answered: true, talkSec: 25 })).toMatchObject({ durationSec: 25, status: { code: '200' } });
    expect(summarizeCall(ended as TrackedCall, route, null).status.code).toBe('OTHER');
  });
});

describe('nothing of a call stays in memory once it has ended', () => {
  const empty = { calls: 0, channels: 0, linkedids: 0, loose: 0, expected: 0 };

  it('followed calls (desk phone, rotation, click-to-call) and calls of no interest leave every per-call table empty', () => {
    const core = new CallTrackerCore(CTX);
    for (let i = 0; i < 50; i++) {
      const { caller, leg } = deskCall(`d${i}`);
      const second = ch(`d${i}.3`, `d${i}.1`, 'from-trunk');
      core.follow(caller.uniqueid, caller.linkedid, 0);
      // The first trunk is congested, the next one answers (a rotation).
      feed(core, new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-a').hangup(leg, 34)
        .attempt(caller, 1, 'CONGESTION', 34).newchannel(second).dialBegin(caller, second, '79160000001@trunk-b').dialEnd(caller, second, 'ANSWER')
        .bridgeEnter(second).wait(3).hangup(second, 16).hangup(caller, 16).events);
      // A click-to-call: announced by its Originate before any event.
      const manager = ch(`c${i}.1`, `c${i}.1`, CTX, '79160000002');
      core.follow(manager.uniqueid, null, 0);
      feed(core, new AmiScript().newchannel(manager).originateResponse(manager.uniqueid, 'Success', '4').wait(2).hangup(manager, 16).events);
      // An internal call: never the connector's business.
      const a = ch(`i${i}.1`, `i${i}.1`);
      const b = ch(`i${i}.2`, `i${i}.1`);
      feed(core, new AmiScript().newchannel(a).newchannel(b).dialBegin(a, b, 'PJSIP/101').wait(1).hangup(b, 16).hangup(a, 16).events);
    }
    expect(core.held()).toEqual(empty);
  });

  it('a route request read after its channel hung up closes the call at once, unseen, instead of waiting for events that passed', () => {
    const core = new CallTrackerCore(CTX);
    const { caller, leg } = deskCall('late');
    feed(core, new AmiScript().newchannel(caller).newchannel(leg).dialBegin(caller, leg, '79160000001@trunk-a').wait(2).hangup(leg, 16).hangup(caller, 16).events);
    const r = core.follow(caller.uniqueid, caller.linkedid, 5_000);
    expect(r).toMatchObject({ kind: 'ended', call: { linkedid: 'late.1', callerUniqueid: 'late.1', endedAt: 5_000, endUnseen: true } });
    expect(core.held()).toEqual(empty);
    // A later request of the same call changes nothing.
    expect(core.follow(caller.uniqueid, caller.linkedid, 6_000)).toEqual({ kind: 'ignored' });
    expect(core.held()).toEqual(empty);
  });
});
