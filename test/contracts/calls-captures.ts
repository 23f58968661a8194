import fs from 'node:fs';
import { AmiParser, amiRecord } from '../../src/adapters/asterisk/ami/codec.ts';
import { sharedPath } from '../support/shared-data.ts';

/** The lab captures of a real Asterisk 22.10.1 (../shared/data/ami-captures/asterisk-22.10.1-lab). */
export const LAB = (...parts: string[]): string => sharedPath('ami-captures', 'asterisk-22.10.1-lab', ...parts);

/** Server → client events of an ami-*.txt capture, parsed with the product's codec (lowercased keys). */
export function amiEventsOf(text: string): Record<string, string>[] {
  const parser = new AmiParser({ expectBanner: true });
  const events: Record<string, string>[] = [];
  let fromServer = true;
  // Feed line by line, skipping what the client sent: the codec sees exactly the server's bytes.
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('### CLIENT SENT:')) {
      fromServer = false;
      continue;
    }
    if (line.startsWith('### SERVER:')) {
      fromServer = true;
      continue;
    }
    if (!fromServer) continue;
    for (const msg of parser.push(line)) {
      const r = amiRecord(msg);
      if (r.event !== undefined) events.push(r);
    }
  }
  for (const msg of parser.flush()) {
    const r = amiRecord(msg);
    if (r.event !== undefined) events.push(r);
  }
  return events;
}

export function amiCapture(name: string): Record<string, string>[] {
  return amiEventsOf(fs.readFileSync(LAB(name), 'utf8'));
}

/** One fastagi-session-*.txt: the bytes Asterisk sent (`<< `) and what the lab server sent (`>> `). */
export interface AgiTranscript {
  /** The environment block, byte for byte (LF line ends, final empty line). */
  readonly environment: string;
  /** Replies Asterisk gave, in order, each with the command that caused it. */
  readonly exchanges: readonly { readonly command: string; readonly reply: readonly string[] }[];
  readonly vars: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  /** SET VARIABLE name → value as the lab server answered. */
  readonly answered: Readonly<Record<string, string>>;
}

export function agiTranscript(text: string): AgiTranscript {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const env: string[] = [];
  const exchanges: { command: string; reply: string[] }[] = [];
  let inEnv = true;
  for (const line of lines) {
    if (line.startsWith('<< ') || line === '<<') {
      const body = line.slice(3);
      if (inEnv) {
        env.push(body);
        if (body === '') inEnv = false;
      } else {
        exchanges[exchanges.length - 1]?.reply.push(body);
      }
    } else if (line.startsWith('>> ')) {
      exchanges.push({ command: line.slice(3), reply: [] });
    }
  }
  const vars: Record<string, string> = {};
  const args: string[] = [];
  for (const l of env) {
    const i = l.indexOf(': ');
    const key = i < 0 ? l.replace(/:$/, '') : l.slice(0, i);
    const value = i < 0 ? '' : l.slice(i + 2);
    const arg = /^agi_arg_(\d+)$/.exec(key);
    if (arg) args[Number(arg[1]) - 1] = value;
    else if (key.startsWith('agi_')) vars[key.slice(4)] = value;
  }
  const answered: Record<string, string> = {};
  for (const x of exchanges) {
    const m = /^SET VARIABLE (\S+) "(.*)"$/.exec(x.command);
    if (m) answered[m[1] as string] = m[2] as string;
  }
  return { environment: `${env.join('\n')}\n`, exchanges, vars, args, answered };
}

export function agiSession(n: number): AgiTranscript {
  return agiTranscript(fs.readFileSync(LAB(`fastagi-session-${String(n).padStart(2, '0')}.txt`), 'utf8'));
}

/** Which FastAGI sessions belong to which AMI capture (the lab README). */
export const SESSIONS_OF: Readonly<Record<string, readonly number[]>> = {
  'ami-01-rotate-congestion-then-answer.txt': [1, 2],
  'ami-02-busy-no-rotation.txt': [3, 4],
  'ami-03-noanswer-no-rotation.txt': [5, 6],
  'ami-04-nobalance-then-rejected-stop.txt': [7, 8, 9],
  'ami-05-chanunavail-then-tempfail-then-answer.txt': [10, 11, 12],
  'ami-06-manager-phone-not-answering.txt': [],
  'ami-07-originate-unknown-channel-tech.txt': [],
  'ami-10-fastagi-down-fail-open.txt': [],
  'ami-11-desk-phone-call-busy.txt': [13, 14],
};
