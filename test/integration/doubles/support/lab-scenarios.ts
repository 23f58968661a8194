import fs from 'node:fs';
import { AmiParser, amiGet, type AmiField, type AmiMessage } from '../../../../src/adapters/asterisk/ami/codec.ts';
import type { TrunkRule } from '../../../../src/doubles/asterisk/index.ts';
import { dialCommands, STOP } from './fastagi-responder.ts';

/** The lab's simulated trunks (extensions.conf.used), as a trunk script for the double. */
export const LAB_TRUNKS: readonly TrunkRule[] = [
  { match: '*@trunk-congestion', outcome: { kind: 'hangup', cause: 34 } },
  { match: '*@trunk-nobalance', outcome: { kind: 'hangup', cause: 68 } },
  { match: '*@trunk-temporary-failure', outcome: { kind: 'hangup', cause: 41 } },
  { match: '*@trunk-rejected', outcome: { kind: 'hangup', cause: 21 } },
  { match: '*@trunk-answer', outcome: { kind: 'answer', talkMs: 2000 } },
  { match: '*@trunk-busy', outcome: { kind: 'busy' } },
  { match: '*@trunk-noanswer', outcome: { kind: 'noanswer' } },
];

export const CALL_ID = 'externalCall.0123456789abcdef0123456789abcdef.1795440000';

export interface LabScenario {
  readonly file: string;
  readonly originate?: readonly AmiField[];
  readonly desk?: { readonly extension: string; readonly number: string };
  /** What the route server answers per request, in order (same as the lab's fastagi-session files). */
  readonly routes: readonly (readonly string[])[];
  readonly fastAgiDown?: boolean;
}

function originate(id: string, exten: string, channel = 'Local/100@phones', timeout?: string): AmiField[] {
  return [
    ['Action', 'Originate'], ['ActionID', id], ['Channel', channel], ['Context', 'connector-outbound'], ['Exten', exten], ['Priority', '1'], ['Async', 'true'],
    ...(timeout ? ([['Timeout', timeout]] as AmiField[]) : []),
    ['CallerID', '"Click-to-call" <100>'], ['ChannelId', `c2c-${id}-a`], ['OtherChannelId', `c2c-${id}-b`],
    ['Variable', `CONNECTOR_CALL_ID=${CALL_ID}`], ['Variable', 'CONNECTOR_USER=12'],
  ];
}

/** The lab scenarios, re-enacted against the double with the same inputs the real Asterisk got. */
export const LAB_SCENARIOS: readonly LabScenario[] = [
  { file: 'ami-01-rotate-congestion-then-answer.txt', originate: originate('o1', '79160000001'), routes: [dialCommands('Local/79160000001@trunk-congestion', '74950000001'), dialCommands('Local/79160000001@trunk-answer', '74950000002')] },
  { file: 'ami-02-busy-no-rotation.txt', originate: originate('o2', '79160000002'), routes: [dialCommands('Local/79160000002@trunk-busy', '74950000001'), STOP] },
  { file: 'ami-03-noanswer-no-rotation.txt', originate: originate('o3', '79160000003'), routes: [dialCommands('Local/79160000003@trunk-noanswer', '74950000001'), STOP] },
  { file: 'ami-04-nobalance-then-rejected-stop.txt', originate: originate('o4', '79160000004'), routes: [dialCommands('Local/79160000004@trunk-nobalance', '74950000001'), dialCommands('Local/79160000004@trunk-rejected', '74950000002'), STOP] },
  { file: 'ami-05-chanunavail-then-tempfail-then-answer.txt', originate: originate('o5', '79160000005'), routes: [dialCommands('Local/79160000005@no-such-context', '74950000001'), dialCommands('Local/79160000005@trunk-temporary-failure', '74950000002'), dialCommands('Local/79160000005@trunk-answer', '74950000003')] },
  { file: 'ami-06-manager-phone-not-answering.txt', originate: originate('o6', '79160000001', 'Local/101@phones', '3000'), routes: [] },
  { file: 'ami-07-originate-unknown-channel-tech.txt', originate: originate('o7', '79160000001', 'Foo/bar'), routes: [] },
  { file: 'ami-10-fastagi-down-fail-open.txt', originate: originate('o10', '79160000003'), routes: [], fastAgiDown: true },
  { file: 'ami-11-desk-phone-call-busy.txt', desk: { extension: '100', number: '79160000002' }, routes: [dialCommands('Local/79160000002@trunk-busy', '74950000001'), STOP] },
];

/** The server's bytes of a lab capture (everything outside the `### CLIENT SENT:` blocks). */
export function serverBytes(text: string): string {
  const parts = text.split(/### (CLIENT SENT|SERVER):\r?\n/);
  let out = parts[0] ?? '';
  for (let i = 1; i < parts.length; i += 2) if (parts[i] === 'SERVER') out += parts[i + 1] ?? '';
  return out;
}

export function parseCapture(path: string): AmiMessage[] {
  const p = new AmiParser({ expectBanner: true });
  return [...p.push(serverBytes(fs.readFileSync(path, 'utf8'))), ...p.flush()];
}

/** `>>` lines of a lab fastagi-session file: the commands the route server sent. */
export function sessionCommands(path: string): string[] {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('>> ')).map((l) => l.slice(3));
}

const KEY_EVENTS = new Set(['Newchannel', 'LocalBridge', 'DialBegin', 'DialState', 'DialEnd', 'BridgeEnter', 'BridgeLeave', 'Hangup', 'UserEvent', 'OriginateResponse', 'MixMonitorStart']);

/**
 * The call as a list of comparable lines (lines starting with `~` come from threads that race in a
 * real Asterisk): key events in order with their key fields. Channels are
 * named by order of first appearance (C1, C2…) so ids and name suffixes may differ. With
 * `fromConnector`, only what happens from the connector-outbound dialplan on (desk-phone calls,
 * whose handset side the lab had to simulate).
 */
export function projectCall(msgs: readonly AmiMessage[], options: { fromConnector?: boolean } = {}): string[] {
  const names = new Map<string, string>();
  let started = !options.fromConnector;
  const out: string[] = [];
  const alias = (n: string | undefined): string => {
    if (n === undefined || n === '') return '-';
    if (!started) return '?';
    let a = names.get(n);
    if (!a) names.set(n, (a = `C${names.size + 1}`));
    return a;
  };
  for (const m of msgs) {
    const ev = amiGet(m, 'Event');
    if (!ev) continue;
    if (!started && ev === 'Newexten' && (amiGet(m, 'AppData') ?? '').startsWith('CONNECTOR_EXTEN=')) {
      started = true;
      alias(amiGet(m, 'Channel'));
    }
    if (!started) continue;
    const known = (n: string | undefined): boolean => n === undefined || names.has(n) || ev === 'Newchannel';
    if (!known(amiGet(m, 'Channel')) || (ev.startsWith('Dial') && !known(amiGet(m, 'DestChannel')))) continue;
    if (ev === 'VarSet') {
      const v = amiGet(m, 'Variable');
      if ((v === 'DIALSTATUS' && amiGet(m, 'Value') !== '') || v === 'AGISTATUS') out.push(`VarSet ${alias(amiGet(m, 'Channel'))} ${v}=${amiGet(m, 'Value')}`);
      continue;
    }
    if (!KEY_EVENTS.has(ev)) continue;
    switch (ev) {
      case 'Newchannel':
        out.push(`Newchannel ${alias(amiGet(m, 'Channel'))} state=${amiGet(m, 'ChannelState')}`);
        break;
      case 'LocalBridge':
        out.push(`LocalBridge ${alias(amiGet(m, 'LocalOneChannel'))}/${alias(amiGet(m, 'LocalTwoChannel'))}`);
        break;
      case 'DialBegin':
      case 'DialState':
      case 'DialEnd':
        out.push(`${ev} ${alias(amiGet(m, 'Channel'))}->${alias(amiGet(m, 'DestChannel'))} ${amiGet(m, 'DialStatus') ?? amiGet(m, 'DialString')}`);
        break;
      case 'Hangup': {
        // With fromConnector the caller is the lab's simulated handset (a Local ;2 half) too.
        const name = alias(amiGet(m, 'Channel'));
        const racy = (amiGet(m, 'Channel') ?? '').endsWith(';2') || (options.fromConnector && name === 'C1') ? '~' : '';
        out.push(`${racy}Hangup ${name} cause=${amiGet(m, 'Cause')} ${amiGet(m, 'Cause-txt')}`);
        break;
      }
      case 'UserEvent':
        out.push(`UserEvent ${amiGet(m, 'UserEvent')} ${m.fields.slice(m.fields.findIndex(([k]) => k === 'UserEvent') + 1).map(([k, v]) => `${k}=${v}`).join(' ')}`);
        break;
      case 'OriginateResponse':
        out.push(`~OriginateResponse ${amiGet(m, 'Response')} reason=${amiGet(m, 'Reason')} uniqueid=${amiGet(m, 'Uniqueid')}`);
        break;
      default:
        out.push(`${ev} ${alias(amiGet(m, 'Channel'))}`);
    }
  }
  return out;
}
