import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { amiGet, amiRecord } from '../../../src/adapters/asterisk/ami/codec.ts';
import { startPbxDouble, type PbxDouble, type TrunkScript } from '../../../src/doubles/asterisk/index.ts';
import { dialCommands, startFastAgiResponder, STOP } from './support/fastagi-responder.ts';
import { RawAmi } from './support/raw-ami.ts';

let pbx: PbxDouble | undefined;
let agi: Awaited<ReturnType<typeof startFastAgiResponder>> | undefined;
afterEach(async () => {
  await pbx?.close();
  await agi?.close();
  pbx = agi = undefined;
});

/**
 * Routes every call through `dials` in order, then stops. The lab's dialplan asks for a route after
 * every outcome (the shipped one ends the route itself after BUSY or NOANSWER), so a script plays through.
 */
async function setup(dials: string[], trunks: TrunkScript, extra: Partial<Parameters<typeof startPbxDouble>[0]> = {}): Promise<PbxDouble> {
  agi = await startFastAgiResponder((_e, i) => (i < dials.length ? dialCommands(dials[i]!, '74950000001', 4) : STOP));
  pbx = await startPbxDouble({ users: [{ username: 'u', secret: 's' }], fastAgi: { host: '127.0.0.1', port: agi.port }, trunks, timeScale: 0, dialplan: 'lab', ...extra });
  return pbx;
}
const records = (p: PbxDouble) => p.events.map((e) => amiRecord(e));
const attempts = (p: PbxDouble): string[] => records(p).filter((r) => r.userevent === 'ConnectorAttempt').map((r) => `${r.dialstatus}/${r.hangupcause}`);

describe('PBX double: trunk scripts', () => {
  it('SIP trunks are one channel each; causes map to DIALSTATUS like app_dial, answer bridges the call', async () => {
    const p = await setup(['PJSIP/89160000001@gw-a', 'PJSIP/89160000001@gw-b', 'PJSIP/89160000001@gw-c', 'PJSIP/89160000001@gw-d'], [
      { match: '*@gw-a', outcome: { kind: 'hangup', cause: 34 } },
      { match: '*@gw-b', outcome: { kind: 'hangup', cause: 38 } },
      { match: '*@gw-c', outcome: { kind: 'hangup', cause: 17 } },
      { match: '*@gw-d', outcome: { kind: 'answer', ringMs: 500, talkMs: 3000 } },
    ]);
    await p.placeDeskCall('100', '89160000001').finished;
    expect(attempts(p)).toEqual(['CONGESTION/34', 'CHANUNAVAIL/38', 'BUSY/17']);
    const dialEnds = records(p).filter((r) => r.event === 'DialEnd').map((r) => `${(r.destchannel ?? '').replace(/-[0-9a-f]{8}$/, '')} ${r.dialstatus}`);
    expect(dialEnds).toEqual(['PJSIP/gw-a CONGESTION', 'PJSIP/gw-b NOANSWER', 'PJSIP/gw-c BUSY', 'PJSIP/gw-d ANSWER']);
    expect(records(p).find((r) => r.event === 'VarSet' && r.variable === 'ANSWEREDTIME')?.value).toBe('');
    expect(records(p).filter((r) => r.event === 'VarSet' && r.variable === 'ANSWEREDTIME_MS').map((r) => r.value).pop()).toBe('3000');
    expect(records(p).some((r) => r.event === 'DialState' && r.dialstatus === 'RINGING')).toBe(true);
  });

  it('a list outcome is played in turn; unmatched dial strings and failed requests are CHANUNAVAIL without channels', async () => {
    const p = await setup(['PJSIP/1@gw', 'PJSIP/1@gw', 'PJSIP/1@nowhere', 'PJSIP/1@gw'], [{ match: 'PJSIP/1@gw', outcome: [{ kind: 'hangup', cause: 68 }, { kind: 'busy' }] }]);
    await p.placeDeskCall('100', '1').finished;
    expect(attempts(p)).toEqual(['CHANUNAVAIL/68', 'BUSY/17', 'CHANUNAVAIL/0', 'BUSY/17']);
    expect(records(p).filter((r) => r.event === 'Newchannel' && (r.channel ?? '').includes('nowhere'))).toEqual([]);
  });

  it('a function script sees the number and the attempt', async () => {
    const seen: string[] = [];
    const p = await setup(['PJSIP/5@gw', 'PJSIP/5@gw'], (dial, info) => {
      seen.push(`${dial} #${info.attempt} for ${info.number}`);
      return { kind: 'noanswer' };
    });
    await p.placeDeskCall('100', '5').finished;
    expect(seen).toEqual(['PJSIP/5@gw #1 for 5', 'PJSIP/5@gw #2 for 5']);
    expect(attempts(p)).toEqual(['NOANSWER/0', 'NOANSWER/0']);
  });

  it('Originate to a PJSIP phone: one channel, agi_uniqueid is the ChannelId; a busy phone is Reason 5', async () => {
    const p = await setup(['PJSIP/7@gw'], [{ match: '*', outcome: { kind: 'busy' } }], { phones: { '200': { kind: 'busy' } } });
    const c = await RawAmi.connect(p.amiPort);
    try {
      await c.login('u', 's');
      const originate = (id: string, phone: string): void =>
        c.send([['Action', 'Originate'], ['ActionID', id], ['Channel', phone], ['Context', 'connector-outbound'], ['Exten', '7'], ['Priority', '1'], ['Async', 'yes'], ['ChannelId', `${id}-a`]]);
      originate('ok', 'PJSIP/100');
      const ok = await c.waitFor((m) => amiGet(m, 'Event') === 'OriginateResponse');
      expect([amiGet(ok, 'Response'), amiGet(ok, 'Channel')?.replace(/-[0-9a-f]{8}$/, '')]).toEqual(['Success', 'PJSIP/100']);
      await new Promise((r) => setTimeout(r, 20));
      await p.idle();
      expect(agi!.sessions[0]?.env).toMatchObject({ agi_uniqueid: 'ok-a', agi_type: 'PJSIP', agi_callerid: 'unknown' });
      const from = c.messages.length;
      originate('busy', 'PJSIP/200');
      const busy = await c.waitFor((m) => amiGet(m, 'Event') === 'OriginateResponse', from);
      expect([amiGet(busy, 'ActionID'), amiGet(busy, 'Response'), amiGet(busy, 'Reason')]).toEqual(['busy', 'Failure', '5']);
    } finally {
      c.close();
    }
  });

  it('a synchronous Originate answers only once the phone answered', async () => {
    const p = await setup([], [], { timeScale: 0.001, phones: { '100': { kind: 'answer', afterMs: 5000 } } });
    const c = await RawAmi.connect(p.amiPort);
    try {
      await c.login('u', 's');
      c.send([['Action', 'Originate'], ['ActionID', 's1'], ['Channel', 'Local/100@phones'], ['Context', 'connector-outbound'], ['Exten', '7'], ['Priority', '1']]);
      const r = await c.waitFor((m) => amiGet(m, 'ActionID') === 's1');
      expect(amiGet(r, 'Message')).toBe('Originate successfully queued');
      // the ringing (DialState) came before the answer, and no OriginateResponse event for a sync Originate
      expect(c.messages.some((m) => amiGet(m, 'Event') === 'DialState')).toBe(true);
      expect(c.messages.some((m) => amiGet(m, 'Event') === 'OriginateResponse')).toBe(false);
    } finally {
      c.close();
    }
  });

  it('closing the double ends calls at once, even with a FastAGI server that never hangs up', async () => {
    const held: net.Socket[] = [];
    const sticky = net.createServer((s) => void held.push(s)); // reads nothing, never answers
    await new Promise<void>((r) => sticky.listen(0, '127.0.0.1', () => r()));
    const p = await startPbxDouble({ users: [], fastAgi: { host: '127.0.0.1', port: (sticky.address() as net.AddressInfo).port }, trunks: [], timeScale: 1 });
    const call = p.placeDeskCall('100', '79160000001');
    await new Promise((r) => setTimeout(r, 30));
    const t0 = Date.now();
    await p.close();
    await call.finished;
    expect(Date.now() - t0).toBeLessThan(1000);
    for (const s of held) s.destroy();
    await new Promise<void>((r) => sticky.close(() => r()));
  });
});
