import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmiClient, type AmiEvent, type OriginateResponse } from '../../../../src/adapters/asterisk/ami/client.ts';
import { AmiActionError, AmiDisconnectedError, AmiLoginError, AmiRequestError, AmiTimeoutError } from '../../../../src/adapters/asterisk/ami/errors.ts';
import { field } from '../../../../src/adapters/asterisk/ami/normalize.ts';
import { startPbxDouble, type PbxDouble } from '../../../../src/doubles/asterisk/index.ts';
import { startFastAgiResponder, STOP } from '../../doubles/support/fastagi-responder.ts';
import { closedPort } from '../../doubles/support/run-scenario.ts';
import { AmiConnectionError } from '../../../../src/adapters/asterisk/ami/errors.ts';

// The AMI client against the PBX double over real sockets; no shared data needed.

let pbx: PbxDouble;
let agi: Awaited<ReturnType<typeof startFastAgiResponder>>;
const clients: AmiClient[] = [];

async function startDouble(timeScale = 0): Promise<void> {
  agi = await startFastAgiResponder(() => STOP);
  pbx = await startPbxDouble({
    users: [{ username: 'connector', secret: 'connectorsecret' }],
    fastAgi: { host: '127.0.0.1', port: agi.port },
    trunks: [],
    phones: { '101': { kind: 'noanswer' } },
    timeScale,
  });
}

function client(over: Partial<ConstructorParameters<typeof AmiClient>[0]> = {}): AmiClient {
  const c = new AmiClient({ host: '127.0.0.1', port: pbx.amiPort, username: 'connector', secret: 'connectorsecret', actionTimeoutMs: 2000, reconnectMinMs: 20, reconnectMaxMs: 80, ...over });
  clients.push(c);
  return c;
}

function once<T>(emitter: AmiClient, name: 'connected' | 'disconnected' | 'originate-response' | 'login-failed'): Promise<T> {
  return new Promise((resolve) => emitter.once(name, ((v: T) => resolve(v)) as never));
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('AmiClient against the PBX double', () => {
  beforeEach(async () => startDouble());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.stop()));
    await pbx.close();
    await agi.close();
  });

  it('logs in, answers Ping, and logs off on stop', async () => {
    const c = client();
    await c.start();
    expect(c.connected).toBe(true);
    await expect(c.ping()).resolves.toBeUndefined();
    await c.stop();
    expect(c.connected).toBe(false);
    await until(() => pbx.amiConnections === 0, 'the double to see the logoff');
  });

  it('a wrong secret is a clear AmiLoginError (no secret in it), the server closes, and retries back off', async () => {
    const c = client({ secret: 'wrong-secret-value' });
    const delays: number[] = [];
    c.on('reconnecting', (d) => delays.push(d));
    const failed = once<AmiLoginError>(c, 'login-failed');
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmiLoginError);
    expect((err as Error).message).toContain('connector');
    expect((err as Error).message).not.toContain('wrong-secret-value');
    await failed;
    await until(() => delays.length >= 3, 'three retries');
    expect(delays.slice(0, 3)).toEqual([20, 40, 80]);
    expect(c.connected).toBe(false);
  });

  it('Response: Error rejects with the server message', async () => {
    const c = client();
    await c.start();
    const err = await c.action({ Action: 'NoSuchAction' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmiActionError);
    expect((err as AmiActionError).serverMessage).toBe('Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.');
  });

  it('Async Originate resolves on the queued ack; the outcome arrives as originate-response', async () => {
    const c = client();
    await c.start();
    const outcome = once<OriginateResponse>(c, 'originate-response');
    const { actionId } = await c.originate({ channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000, callerId: '"Click-to-call" <100>', channelId: 'c2c-t1-a', otherChannelId: 'c2c-t1-b', variables: { CONNECTOR_CALL_ID: 'externalCall.1' } });
    expect(actionId).not.toBe('');
    const r = await outcome;
    expect(r).toMatchObject({ actionId, response: 'Success', reason: '4', uniqueid: 'c2c-t1-a' });
  });

  it('an unknown channel technology is an originate-response Failure with Reason 0', async () => {
    const c = client();
    await c.start();
    const outcome = once<OriginateResponse>(c, 'originate-response');
    const { actionId } = await c.originate({ channel: 'Foo/bar', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000, channelId: 'c2c-t2-a' });
    expect(await outcome).toMatchObject({ actionId, response: 'Failure', reason: '0', uniqueid: 'c2c-t2-a' });
  });

  it('events have lowercase keys with string values, read case-insensitively; commas in variables survive', async () => {
    const c = client();
    await c.start();
    const events: AmiEvent[] = [];
    c.on('event', (e) => events.push(e));
    const outcome = once<OriginateResponse>(c, 'originate-response');
    await c.originate({ channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000, channelId: 'c2c-t3-a', variables: { CONNECTOR_NOTE: 'a,b "c" \\d' } });
    await outcome;
    await until(() => events.some((e) => e.event === 'Hangup' && e.uniqueid === 'c2c-t3-a'), 'the call to end');
    const varset = events.find((e) => field(e, 'Event') === 'VarSet' && field(e, 'Variable') === 'CONNECTOR_NOTE');
    expect(varset && field(varset, 'Value')).toBe('a,b "c" \\d');
    for (const e of events) for (const [k, v] of Object.entries(e)) {
      expect(k).toBe(k.toLowerCase());
      expect(typeof v).toBe('string');
    }
    expect(events.find((e) => e.event === 'Newchannel')?.uniqueid).toBe('c2c-t3-a');
  });

  it('refuses a reused or over-long ChannelId without sending anything', async () => {
    const c = client();
    await c.start();
    const base = { channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000 };
    await c.originate({ ...base, channelId: 'c2c-dup' });
    await expect(c.originate({ ...base, channelId: 'c2c-dup' })).rejects.toBeInstanceOf(AmiRequestError);
    await expect(c.originate({ ...base, channelId: 'x'.repeat(150) })).rejects.toThrow(/1\.\.149/);
    await expect(c.originate({ ...base, channelId: 'ok', callerId: 'evil\r\nAction: Logoff' })).rejects.toThrow(/line break/);
  });

  it('remembers only the last rememberChannelIds ChannelIds, so the memory they take stays bounded', async () => {
    const c = client({ rememberChannelIds: 2 });
    await c.start();
    const base = { channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000 };
    for (const id of ['c2c-old', 'c2c-mid', 'c2c-new']) await c.originate({ ...base, channelId: id });
    await expect(c.originate({ ...base, channelId: 'c2c-new' })).rejects.toBeInstanceOf(AmiRequestError);
    await expect(c.originate({ ...base, channelId: 'c2c-mid' })).rejects.toBeInstanceOf(AmiRequestError);
    await expect(c.originate({ ...base, channelId: 'c2c-old' })).resolves.toMatchObject({ actionId: expect.any(String) });
  });

  it('rejects pending actions when the connection drops, then reconnects and events flow again', async () => {
    await pbx.close();
    await startDouble(1); // real time: the blocked session stays blocked until the drop
    const c = client();
    await c.start();
    // A synchronous Originate to a phone that never answers blocks the session, as on a real Asterisk.
    const blocked = c.action({ Action: 'Originate', Channel: 'Local/101@phones', Context: 'connector-outbound', Exten: '79160000001', Priority: '1', Timeout: '600000' }, 5000);
    const ping = c.action({ Action: 'Ping' }, 5000);
    await new Promise((r) => setTimeout(r, 30));
    const disconnected = once<string>(c, 'disconnected');
    const reconnected = new Promise<void>((resolve) => c.on('connected', () => resolve()));
    pbx.dropAllAmiConnections();
    await expect(blocked).rejects.toBeInstanceOf(AmiDisconnectedError);
    await expect(ping).rejects.toThrow(/Ping aborted/);
    await disconnected;
    await reconnected;
    expect(c.reconnects).toBe(1);
    const outcome = once<OriginateResponse>(c, 'originate-response');
    await c.originate({ channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', timeoutMs: 30000, channelId: 'c2c-after-drop' });
    expect((await outcome).response).toBe('Success');
  });

  it('an action without a response within its timeout rejects naming the action', async () => {
    await pbx.close();
    await startDouble(1); // real time: the blocked session stays blocked
    const c = client();
    await c.start();
    const err = await c.action({ Action: 'Originate', Channel: 'Local/101@phones', Context: 'connector-outbound', Exten: '79160000001', Priority: '1', Timeout: '600000' }, 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmiTimeoutError);
    expect((err as Error).message).toBe('AMI action Originate got no response within 50 ms');
  });

  it('no PBX yet: start rejects with AmiConnectionError, and the client connects once the PBX is up', async () => {
    const port = await closedPort();
    const c = client({ port });
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmiConnectionError);
    expect((err as Error).message).toBe(`cannot connect to the AMI at 127.0.0.1:${port}`);
    const connected = once<void>(c, 'connected');
    const late = await startPbxDouble({ amiPort: port, users: [{ username: 'connector', secret: 'connectorsecret' }], fastAgi: { host: '127.0.0.1', port: agi.port }, trunks: [], timeScale: 0 });
    try {
      await connected;
      expect(c.connected).toBe(true);
      expect(c.reconnects).toBe(0);
      await c.ping();
    } finally {
      await c.stop();
      await late.close();
    }
  });

  it('actions while disconnected fail at once with a clear error', async () => {
    const c = client();
    await expect(c.ping()).rejects.toThrow('AMI action Ping aborted: not connected to the AMI');
  });
});

describe('AmiClient facing a server that sends garbage', () => {
  it('does not crash, logs a clear line, and keeps receiving events', async () => {
    const server = net.createServer((s) => {
      s.write('Asterisk Call Manager/11.0.0\r\n');
      s.on('data', (d: Buffer) => {
        const id = /ActionID: (\S+)/i.exec(d.toString())?.[1] ?? '';
        s.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
        s.write('\u0000\u00ff garbage without colon\r\nmore garbage\r\n\r\n');
        s.write('Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: ConnectorAttempt\r\nAttempt: 1\r\n\r\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
    const c = new AmiClient({ host: '127.0.0.1', port, username: 'u', secret: 's', logger, reconnectMinMs: 20 });
    const got = new Promise<AmiEvent>((resolve) => c.on('event', resolve));
    await c.start();
    const ev = await got;
    expect(ev.userevent).toBe('ConnectorAttempt');
    expect(lines.some((l) => l.includes('neither an event nor a response'))).toBe(true);
    c.removeAllListeners();
    await c.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

describe('AmiClient supervision details', () => {
  it('stop() before the first login settles start() and stops retrying', async () => {
    const port = await closedPort();
    const c = new AmiClient({ host: '127.0.0.1', port, username: 'u', secret: 's', reconnectMinMs: 10_000 });
    const started = c.start().catch((e: unknown) => e);
    await c.stop();
    expect(await started).toBeInstanceOf(Error);
    let retried = false;
    c.on('reconnecting', () => (retried = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(retried).toBe(false);
  });

  it('a keepalive Ping that gets no answer drops the connection and reconnects', async () => {
    // A server that answers the login, then never answers anything again (a hung Asterisk).
    let logins = 0;
    const server = net.createServer((s) => {
      s.write('Asterisk Call Manager/11.0.0\r\n');
      s.on('data', (d: Buffer) => {
        const text = d.toString();
        if (!/Action: login/i.test(text)) return;
        logins++;
        const id = /ActionID: (\S+)/i.exec(text)?.[1] ?? '';
        s.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
      });
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const c = new AmiClient({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, username: 'u', secret: 's', keepaliveMs: 20, actionTimeoutMs: 30, reconnectMinMs: 10 });
    const dropped = new Promise<string>((resolve) => c.once('disconnected', resolve));
    await c.start();
    expect(await dropped).toBe('keepalive Ping got no answer');
    await until(() => logins >= 2, 'a second login');
    await c.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
