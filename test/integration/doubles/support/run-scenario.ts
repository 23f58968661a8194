import net from 'node:net';
import { amiGet, type AmiMessage } from '../../../../src/adapters/asterisk/ami/codec.ts';
import { startPbxDouble } from '../../../../src/doubles/asterisk/index.ts';
import { startFastAgiResponder, type AgiSession } from './fastagi-responder.ts';
import { LAB_TRUNKS, type LabScenario } from './lab-scenarios.ts';
import { RawAmi } from './raw-ami.ts';

/** A TCP port with nothing listening (for "FastAGI server down"). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof addr === 'object' && addr ? addr.port : 1;
}

/** Runs a lab scenario against a fresh double over real sockets; returns what the AMI client received. */
export async function runLabScenario(sc: LabScenario): Promise<{ messages: AmiMessage[]; agi: AgiSession[] }> {
  const agi = await startFastAgiResponder((_env, i) => sc.routes[i] ?? []);
  const pbx = await startPbxDouble({
    users: [{ username: 'connector', secret: 'connectorsecret' }],
    fastAgi: { host: '127.0.0.1', port: sc.fastAgiDown ? await closedPort() : agi.port },
    trunks: LAB_TRUNKS,
    phones: { '101': { kind: 'noanswer' } },
    failOpen: { dial: 'Local/{exten}@trunk-answer', timeoutS: 30 },
    timeScale: 0,
    // The captures were recorded with the lab's dialplan (extensions.conf.used).
    dialplan: 'lab',
  });
  const ami = await RawAmi.connect(pbx.amiPort);
  try {
    await ami.login('connector', 'connectorsecret');
    if (sc.originate) ami.send(sc.originate);
    if (sc.desk) await pbx.placeDeskCall(sc.desk.extension, sc.desk.number).finished;
    // Let the call start, then wait for it to end; a Ping answered afterwards proves every event arrived.
    await new Promise((r) => setTimeout(r, 20));
    await pbx.idle();
    ami.send([['Action', 'Ping'], ['ActionID', 'end']]);
    await ami.waitFor((m) => amiGet(m, 'ActionID') === 'end' && amiGet(m, 'Response') !== undefined);
    return { messages: ami.messages, agi: agi.sessions };
  } finally {
    ami.close();
    await pbx.close();
    await agi.close();
  }
}
