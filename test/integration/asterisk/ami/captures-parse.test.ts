import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AmiParser, amiGet, type AmiMessage, type ParserProblem } from '../../../../src/adapters/asterisk/ami/codec.ts';
import { hasSharedData, sharedPath } from '../../../support/shared-data.ts';
import { serverBytes } from '../../doubles/support/lab-scenarios.ts';

// Real captures live in ../shared (not in the repository): without them this suite is skipped.
const dir = (d: string): string => sharedPath('ami-captures', d);
const list = (d: string, re: RegExp): string[] => (hasSharedData ? fs.readdirSync(dir(d)).filter((f) => re.test(f)).sort() : []);

function parse(text: string, chunkSizes?: () => number): { msgs: AmiMessage[]; problems: ParserProblem[] } {
  const problems: ParserProblem[] = [];
  const p = new AmiParser({ expectBanner: text.startsWith('Asterisk Call Manager/'), onProblem: (x) => problems.push(x) });
  const msgs: AmiMessage[] = [];
  if (!chunkSizes) msgs.push(...p.push(text));
  else for (let i = 0; i < text.length; ) {
    const n = chunkSizes();
    msgs.push(...p.push(Buffer.from(text.slice(i, i + n))));
    i += n;
  }
  return { msgs: [...msgs, ...p.flush()], problems };
}

let seed = 42;
const randomChunk = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), 1 + (seed % 200));
const starterLines = (text: string): number => (text.match(/^(Event|Action): /gm) ?? []).length;

describe.skipIf(!hasSharedData)('AMI codec on real captures', () => {
  it.each(list('asterisk-22.10.1-lab', /^ami-.*\.txt$/))('lab %s: every message is an event or a response, however split', (f) => {
    const text = serverBytes(fs.readFileSync(path.join(dir('asterisk-22.10.1-lab'), f), 'utf8'));
    const whole = parse(text);
    expect(whole.problems).toEqual([]);
    expect(whole.msgs.every((m) => amiGet(m, 'Event') !== undefined || amiGet(m, 'Response') !== undefined)).toBe(true);
    expect(whole.msgs.filter((m) => m.fields[0]?.[0] === 'Event')).toHaveLength(starterLines(text));
    expect(parse(text, randomChunk).msgs).toEqual(whole.msgs);
  });

  it.each(list('goami2', /\.txt$/))('goami2 %s: joined messages are split and chunking changes nothing', (f) => {
    const text = fs.readFileSync(path.join(dir('goami2'), f), 'utf8');
    const whole = parse(text);
    // Client actions here do not always start with Action: (`Actionid:` comes first).
    expect(whole.msgs.filter((m) => m.fields.some(([k]) => k === 'Event' || k === 'Action'))).toHaveLength(starterLines(text));
    expect(whole.msgs.every((m) => m.fields.filter(([k]) => k === 'Event').length <= 1)).toBe(true);
    expect(parse(text, randomChunk).msgs).toEqual(whole.msgs);
  });

  it.each(list('ispbx-asterisk22', /^(ExtensionState|PJSIPShow).*\.txt$/))('ispbx %s: parsed without loss', (f) => {
    const text = fs.readFileSync(path.join(dir('ispbx-asterisk22'), f), 'utf8');
    const whole = parse(text);
    expect(whole.msgs.filter((m) => m.fields[0]?.[0] === 'Event')).toHaveLength((text.match(/^Event: /gm) ?? []).length);
    expect(parse(text, randomChunk).msgs).toEqual(whole.msgs);
  });
});
