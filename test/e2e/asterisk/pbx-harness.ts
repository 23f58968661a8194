import { AmiClient } from '../../../src/adapters/asterisk/ami/client.ts';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { startPbxDouble, type PbxDouble, type PhoneScript, type TrunkScript } from '../../../src/doubles/asterisk/index.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';

/** How the lab's simulated trunks behave (extensions.conf.used), as a script for the PBX double. */
export const LAB_TRUNK_SCRIPT: TrunkScript = [
  { match: '*@trunk-congestion', outcome: { kind: 'hangup', cause: 34 } },
  { match: '*@trunk-congestion-2', outcome: { kind: 'hangup', cause: 34 } },
  { match: '*@trunk-nobalance', outcome: { kind: 'hangup', cause: 68 } },
  { match: '*@trunk-temporary-failure', outcome: { kind: 'hangup', cause: 41 } },
  { match: '*@trunk-rejected', outcome: { kind: 'hangup', cause: 21 } },
  { match: '*@trunk-answer', outcome: { kind: 'answer', ringMs: 500, talkMs: 2000 } },
  { match: '*@trunk-busy', outcome: { kind: 'busy' } },
  { match: '*@trunk-noanswer', outcome: { kind: 'noanswer' } },
  { match: '*@failopen', outcome: { kind: 'answer', talkMs: 1000 } },
  { match: '*@no-such-context', outcome: { kind: 'unavailable' } },
];

export interface PbxHarness {
  readonly h: CallsHarness;
  readonly pbx: PbxDouble;
  readonly ami: AmiClient;
  readonly records: CallRecord[];
  /** Waits (flushing the tracker) until `n` calls have ended. */
  ended(n: number, timeoutMs?: number): Promise<CallRecord[]>;
  close(): Promise<void>;
}

/**
 * The connector's FastAGI server, call tracker and click-to-call wired to the PBX double over real
 * sockets (AMI and FastAGI), with waits scaled down so a call takes milliseconds.
 */
export async function pbxHarness(options: { phones?: Record<string, PhoneScript>; fastAgiPort?: number } = {}): Promise<PbxHarness> {
  const h = await callsHarness();
  const agi = await h.startAgi();
  const pbx = await startPbxDouble({
    // The double plays the shipped dialplan (asterisk/extensions_connector.conf), which reports the
    // recording as UserEvent(ConnectorRecording): the connector reads exactly what production's
    // least-privilege user reads and may do (asterisk/manager_connector.conf: read = call,user;
    // write = originate,reporting,call — CoreShowChannels after a reconnect needs reporting, the
    // dialer's Setvar call).
    users: [{ username: 'connector', secret: 'connector-secret', read: ['call', 'user'], write: ['originate', 'reporting', 'call'] }],
    fastAgi: { host: '127.0.0.1', port: options.fastAgiPort ?? agi.port, script: 'route' },
    trunks: LAB_TRUNK_SCRIPT,
    phones: options.phones ?? {},
    timeScale: 0.01,
    agiGiveUpMs: 2000,
  });
  const ami = new AmiClient({ host: '127.0.0.1', port: pbx.amiPort, username: 'connector', secret: 'connector-secret', reconnectMinMs: 20, reconnectMaxMs: 100, actionTimeoutMs: 2000 });
  ami.on('event', (e) => h.tracker.handle(e));
  await ami.start();
  const records: CallRecord[] = [];
  h.tracker.on('call-ended', (r) => records.push(r));
  return {
    h, pbx, ami, records,
    async ended(n, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (records.length < n) {
        if (Date.now() > until) throw new Error(`only ${records.length} of ${n} calls ended within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
        await h.tracker.flush();
      }
      return records;
    },
    async close() {
      await ami.stop();
      await pbx.close();
      await h.close();
    },
  };
}

/** A click-to-call through the real AMI client (the manager's phone: Local/100@phones). */
export function clickToCallVia(p: PbxHarness, crmCallId: string, number: string, extension = '100'): ReturnType<CallsHarness['clickToCall']> {
  return p.h.clickToCall({ crmCallId, number, extension });
}
