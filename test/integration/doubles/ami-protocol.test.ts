import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { amiGet, type AmiMessage } from '../../../src/adapters/asterisk/ami/codec.ts';
import { startPbxDouble, type PbxDouble } from '../../../src/doubles/asterisk/index.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';
import { startFastAgiResponder, STOP } from './support/fastagi-responder.ts';
import { parseCapture } from './support/lab-scenarios.ts';
import { byEvent, RawAmi } from './support/raw-ami.ts';

let pbx: PbxDouble;
let agi: Awaited<ReturnType<typeof startFastAgiResponder>>;
let conn: RawAmi | undefined;

beforeEach(async () => {
  agi = await startFastAgiResponder(() => STOP);
  pbx = await startPbxDouble({
    users: [
      { username: 'connector', secret: 'connectorsecret' },
      { username: 'calls-only', secret: 'x', read: ['call', 'user'], write: ['call'] },
    ],
    fastAgi: { host: '127.0.0.1', port: agi.port },
    trunks: [],
    timeScale: 0,
  });
});
afterEach(async () => {
  conn?.close();
  conn = undefined;
  await pbx.close();
  await agi.close();
});

const fieldsOf = (m: AmiMessage): string[][] => m.fields.map(([k, v]) => [k, v]);
async function open(): Promise<RawAmi> {
  conn = await RawAmi.connect(pbx.amiPort);
  return conn;
}
async function ask(c: RawAmi, fields: [string, string][]): Promise<AmiMessage> {
  const from = c.messages.length;
  c.send(fields);
  const id = fields.find(([k]) => k === 'ActionID')?.[1];
  return c.waitFor((m) => amiGet(m, 'Response') !== undefined && amiGet(m, 'ActionID') === id, from);
}

describe('PBX double: AMI protocol', () => {
  it('greets with the Asterisk 22 banner and accepts a login, then FullyBooted', async () => {
    const c = await open();
    expect(fieldsOf(await c.login('connector', 'connectorsecret'))).toEqual([['Response', 'Success'], ['ActionID', 'login-1'], ['Message', 'Authentication accepted']]);
    expect(c.banner).toBe('11.0.0');
    expect(amiGet(await c.waitFor(byEvent('FullyBooted')), 'Privilege')).toBe('system,all');
  });

  it('a wrong secret: Authentication failed, then the socket closes', async () => {
    const c = await open();
    expect(fieldsOf(await c.login('connector', 'wrong'))).toEqual([['Response', 'Error'], ['ActionID', 'login-1'], ['Message', 'Authentication failed']]);
    await c.waitClosed();
  });

  it('before login every other action is Permission denied', async () => {
    const c = await open();
    expect(amiGet(await ask(c, [['Action', 'Ping'], ['ActionID', 'p0']]), 'Message')).toBe('Permission denied');
  });

  it('Ping, unknown action, missing action and Command answer as Asterisk 22 does', async () => {
    const c = await open();
    await c.login('connector', 'connectorsecret');
    const ping = await ask(c, [['Action', 'Ping'], ['ActionID', 'p1']]);
    expect(fieldsOf(ping).slice(0, 3)).toEqual([['Response', 'Success'], ['ActionID', 'p1'], ['Ping', 'Pong']]);
    expect(amiGet(ping, 'Timestamp')).toMatch(/^\d+\.\d{6}$/);
    expect(amiGet(await ask(c, [['Action', 'NoSuchAction'], ['ActionID', 'x1']]), 'Message')).toBe('Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.');
    expect(amiGet(await ask(c, [['ActionID', 'm1'], ['Foo', 'bar']]), 'Message')).toBe('Missing action in request');
    const cmd = await ask(c, [['Action', 'Command'], ['ActionID', 'cmd1'], ['Command', 'core show version']]);
    expect(fieldsOf(cmd).slice(0, 3)).toEqual([['Response', 'Success'], ['ActionID', 'cmd1'], ['Message', 'Command output follows']]);
    expect(amiGet(cmd, 'Output')).toMatch(/^Asterisk 22\.10\.1 built by/);
    c.send([['Action', 'CoreShowChannels'], ['ActionID', 'l1']]);
    const done = await c.waitFor(byEvent('CoreShowChannelsComplete'));
    expect(fieldsOf(done)).toEqual([['Event', 'CoreShowChannelsComplete'], ['ActionID', 'l1'], ['EventList', 'Complete'], ['ListItems', '0']]);
  });

  it('garbage input gets an error and the session keeps working', async () => {
    const c = await open();
    await c.login('connector', 'connectorsecret');
    c.write('\u0000\u00ffthis is not AMI\r\n\r\n');
    expect(amiGet(await c.waitFor((m) => amiGet(m, 'Message') === 'Missing action in request'), 'Response')).toBe('Error');
    c.write(`${'x'.repeat(70_000)}\r\n\r\n`);
    expect(amiGet(await ask(c, [['Action', 'Ping'], ['ActionID', 'still-alive']]), 'Ping')).toBe('Pong');
  });

  it('action Events switches the event flow off and on', async () => {
    const c = await open();
    await c.login('connector', 'connectorsecret');
    expect(amiGet(await ask(c, [['Action', 'Events'], ['ActionID', 'e0'], ['EventMask', 'off']]), 'Events')).toBe('Off');
    await pbx.placeDeskCall('100', '79160000009').finished;
    await ask(c, [['Action', 'Ping'], ['ActionID', 'sync0']]);
    expect(c.messages.filter((m) => amiGet(m, 'Event') !== undefined && amiGet(m, 'Event') !== 'FullyBooted')).toEqual([]);
    expect(amiGet(await ask(c, [['Action', 'Events'], ['ActionID', 'e1'], ['EventMask', 'call']]), 'Events')).toBe('On');
    await pbx.placeDeskCall('100', '79160000009').finished;
    await ask(c, [['Action', 'Ping'], ['ActionID', 'sync1']]);
    expect(c.messages.some((m) => amiGet(m, 'Event') === 'Newchannel')).toBe(true);
    expect(c.messages.some((m) => amiGet(m, 'Event') === 'VarSet')).toBe(false);
  });

  it('Logoff: Goodbye, then the server closes', async () => {
    const c = await open();
    await c.login('connector', 'connectorsecret');
    expect(fieldsOf(await ask(c, [['Action', 'Logoff'], ['ActionID', 'bye']]))).toEqual([['Response', 'Goodbye'], ['ActionID', 'bye'], ['Message', 'Thanks for all the fish.']]);
    await c.waitClosed();
  });

  it('Originate: queued ack, a too-long ChannelId and a missing channel are refused', async () => {
    const c = await open();
    await c.login('connector', 'connectorsecret');
    const base: [string, string][] = [['Action', 'Originate'], ['Context', 'connector-outbound'], ['Exten', '79160000001'], ['Priority', '1'], ['Async', 'true']];
    expect(amiGet(await ask(c, [...base, ['ActionID', 'a'], ['Channel', 'Local/100@phones']]), 'Message')).toBe('Originate successfully queued');
    expect(amiGet(await ask(c, [...base, ['ActionID', 'b'], ['Channel', 'Local/100@phones'], ['ChannelId', 'x'.repeat(150)]]), 'Message')).toBe('Uniqueid length exceeds maximum of 149');
    expect(amiGet(await ask(c, [...base, ['ActionID', 'c']]), 'Message')).toBe('Channel not specified');
  });

  it("a user's read classes filter events and its write classes gate Originate", async () => {
    const c = await open();
    await c.login('calls-only', 'x');
    const denied = await ask(c, [['Action', 'Originate'], ['ActionID', 'o'], ['Channel', 'Local/100@phones'], ['Context', 'connector-outbound'], ['Exten', '1'], ['Priority', '1']]);
    expect(amiGet(denied, 'Message')).toBe('Permission denied');
    // CoreShowChannels needs write class system or reporting, as on Asterisk.
    expect(amiGet(await ask(c, [['Action', 'CoreShowChannels'], ['ActionID', 'l']]), 'Message')).toBe('Permission denied');
    await pbx.placeDeskCall('100', '79160000009').finished;
    await ask(c, [['Action', 'Ping'], ['ActionID', 'sync']]);
    const classes = new Set(c.messages.map((m) => amiGet(m, 'Privilege')).filter((p) => p !== undefined));
    expect(classes.has('call,all')).toBe(true);
    expect([...classes].filter((p) => p !== 'call,all' && p !== 'user,all')).toEqual([]);
  });
});

describe.skipIf(!hasSharedData)('PBX double: responses byte-compatible with the lab captures', () => {
  it('ami-08 login failed and ami-09 ping/unknown/command/list are answered with the same fields', async () => {
    const lab = (f: string): AmiMessage[] => parseCapture(sharedPath('ami-captures', 'asterisk-22.10.1-lab', f));
    const c = await open();
    const failed = await c.login('connector', 'wrong');
    expect(fieldsOf(failed)).toEqual(fieldsOf(lab('ami-08-login-failed.txt')[0]!));
    const c2 = await RawAmi.connect(pbx.amiPort);
    try {
      await c2.login('connector', 'connectorsecret');
      const real = lab('ami-09-ping-unknown-action-command.txt');
      const mine = [
        await ask(c2, [['Action', 'Ping'], ['ActionID', 'p1']]),
        await ask(c2, [['Action', 'NoSuchAction'], ['ActionID', 'x1']]),
        await ask(c2, [['Action', 'Command'], ['ActionID', 'cmd1'], ['Command', 'core show version']]),
      ];
      const keys = (m: AmiMessage): string[] => m.fields.map(([k]) => k);
      expect(mine.map(keys)).toEqual([real[2]!, real[3]!, real[4]!].map(keys));
      expect(fieldsOf(mine[1]!)).toEqual(fieldsOf(real[3]!));
    } finally {
      c2.close();
    }
  });
});

describe('PBX double without history (benchmarks)', () => {
  it('still sends a session every event of the classes it reads, and builds none that nobody reads', async () => {
    const quiet = await startPbxDouble({
      users: [{ username: 'calls-only', secret: 'x', read: ['call', 'user'], write: ['call'] }],
      fastAgi: { host: '127.0.0.1', port: agi.port }, trunks: [], timeScale: 0, historyLimit: 0,
    });
    const c = await RawAmi.connect(quiet.amiPort);
    try {
      await c.login('calls-only', 'x');
      await quiet.placeDeskCall('100', '79160000009').finished;
      await ask(c, [['Action', 'Ping'], ['ActionID', 'sync']]);
      const names = c.messages.map((m) => amiGet(m, 'Event')).filter((e) => e !== undefined);
      expect(names).toContain('Newchannel');
      expect(names).toContain('Hangup');
      expect(names).not.toContain('VarSet');
      expect(quiet.events).toEqual([]);
      // A listener of its own sees every class again (it may want them all).
      const seen: string[] = [];
      const stop = quiet.onEvent((ev) => seen.push(ev.eventClass));
      await quiet.placeDeskCall('100', '79160000008').finished;
      stop();
      expect(seen).toContain('dialplan');
    } finally {
      c.close();
      await quiet.close();
    }
  });
});
