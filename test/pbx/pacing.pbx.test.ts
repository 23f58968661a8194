import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNumber, PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';

/**
 * Ratio and predictive pacing and answering-machine detection on the real Asterisk with the
 * shipped dialplans: customers are dialled ahead of free operators and given to whichever
 * operator of the team is free when they answer. Operators are Local phones keeping a `Custom:`
 * device state; customers are the lab trunks, plus two test-only numbers on trunk t1: one plays
 * a generated spoken-like greeting (AMD: HUMAN), one answers in silence (AMD: MACHINE).
 */

const TOKEN = crypto.randomBytes(16).toString('hex');
const GREETING = '79004799991';
const SILENT = '79004799992';
const NO_AUDIO = '79004799993';

const dialplan = (soundDir: string) => `
[lab-operator]
exten => _1XX,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=INUSE)
 same => n,Set(CHANNEL(hangup_handler_push)=lab-operator-free,\${EXTEN},1)
 same => n,Answer()
 same => n,UserEvent(LabOperator,Operator: \${EXTEN},CallId: \${DIALER_CALL_ID})
 same => n,Wait(3)
 same => n,Hangup()

[lab-operator-free]
exten => _X.,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=NOT_INUSE)
 same => n,Return()

; Test-only customers on trunk t1 (exact numbers win over the lab trunk's patterns).
[lab-t1]
exten => ${GREETING},1,Answer()
 same => n,Playback(${path.join(soundDir, 'greeting')})
 same => n,Wait(20)
 same => n,Hangup(16)
exten => ${SILENT},1,Answer()
 same => n,Playback(${path.join(soundDir, 'silence')})
 same => n,Wait(20)
 same => n,Hangup(16)
; Sends no audio frames at all: AMD cannot decide (NOTSURE).
exten => ${NO_AUDIO},1,Answer()
 same => n,Wait(20)
 same => n,Hangup(16)
`;

/** 8 kHz 16-bit mono WAV. */
function wav(file: string, samples: Int16Array): void {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24); header.writeUInt32LE(16000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([header, data]));
}

/** "Алло?": 0.2 s of silence, 0.7 s of a voiced sound (a 140 Hz buzz with harmonics), then 2 s of silence. */
function greeting(): Int16Array {
  const out = new Int16Array(8000 * 3);
  for (let i = 1600; i < 1600 + 5600; i++) {
    const t = i / 8000;
    const v = Math.sin(2 * Math.PI * 140 * t) + 0.6 * Math.sin(2 * Math.PI * 280 * t) + 0.4 * Math.sin(2 * Math.PI * 700 * t);
    out[i] = Math.round(6000 * v);
  }
  return out;
}

function tone(): Int16Array {
  const out = new Int16Array(4000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 425 * i) / 8000));
  return out;
}

interface LeadView { digits: string; status: string; attempts: number; lastOutcome: string | null }

describe.skipIf(!hasLab)(`real Asterisk: ratio and predictive pacing, answering-machine detection${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  let soundDir: string;

  beforeAll(async () => {
    soundDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-pacing-sound-'));
    wav(path.join(soundDir, 'no-operator.wav'), tone());
    wav(path.join(soundDir, 'greeting.wav'), greeting());
    // Audio frames of silence (a channel sending no frames at all leaves AMD NOTSURE).
    wav(path.join(soundDir, 'silence.wav'), new Int16Array(8000 * 6));
    tier = await PbxTier.start({
      env: { ADMIN_TOKEN: TOKEN, DIALER_TICK_MS: '200', DIALER_OPERATOR_RING_S: '5' },
      dialerGlobals: { DIALER_NO_OPERATOR_SOUND: path.join(soundDir, 'no-operator') },
      extraDialplan: dialplan(soundDir),
    });
  }, TIER_START_MS);
  afterAll(async () => {
    await tier?.stop();
    if (soundDir) fs.rmSync(soundDir, { recursive: true, force: true });
  });

  async function ok<T = Record<string, unknown>>(method: string, url: string, body?: unknown, type = 'application/json'): Promise<T> {
    const res = await fetch(`${tier.baseUrl}/admin/dialer${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const json = await res.json() as unknown;
    if (res.status !== 200) throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json as T;
  }

  async function operator(id: string, ext: string): Promise<void> {
    await tier.ami.action({ Action: 'Setvar', Variable: `DEVICE_STATE(Custom:op${ext})`, Value: 'NOT_INUSE' });
    await ok('PUT', `/operators/${id}`, { dial: `Local/${ext}@lab-operator`, stateDevice: `Custom:op${ext}` });
    await ok('POST', `/operators/${id}/online`);
  }

  /** Waits, on each call's end, until every lead of the campaign passes `check`. */
  async function leadsWhen(campaign: string, what: string, check: (l: LeadView) => boolean, timeoutMs: number): Promise<LeadView[]> {
    const deadline = Date.now() + timeoutMs;
    const seen = new Set<unknown>();
    for (;;) {
      const leads = await ok<LeadView[]>('GET', `/campaigns/${campaign}/leads`);
      if (leads.length > 0 && leads.every(check)) return leads;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(leads.filter((l) => !check(l)).slice(0, 5))}`);
      await tier.connector.waitLog('a dialer call end', (l) => l.msg === 'dialer: call ended' && !seen.has(l), 2_000).then((l) => seen.add(l)).catch(() => undefined);
    }
  }

  it('predictive: customers are dialled ahead of free operators once it has learnt, each answered one reaches a free operator or hears the message', async () => {
    for (const [id, ext] of [['21', '121'], ['22', '122'], ['23', '123']] as const) await operator(id, ext);
    // Half answer (talk 2 s), half are busy: 80 leads, 40 customers to talk to.
    const numbers = Array.from({ length: 80 }, (_, i) => labNumber(10 + Math.floor(i / 40), [i % 2 === 0 ? 'answer' : 'busy']).slice(0, -2) + String(i % 40).padStart(2, '0'));
    // A 10 % target lets the small campaign leave its warm-up (progressive until one drop fits under the target).
    await ok('PUT', '/campaigns/predictive', {
      department: '10', operators: ['21', '22', '23'], mode: 'predictive', abandonTarget: 10, hours: '00:00-24:00', retry: { busy: 600 },
    });
    await ok('POST', '/campaigns/predictive/leads', `${numbers.join('\n')}\n`, 'text/csv');
    await ok('POST', '/campaigns/predictive/start');

    await leadsWhen('predictive', 'every lead called once', (l) => l.attempts >= 1 && l.status !== 'calling', 170_000);
    await ok('POST', '/campaigns/predictive/stop');

    const lines = tier.connector.lines;
    // Progressive while learning, then predictive: calls placed while no operator was free.
    const decisions = lines.filter((l) => l.msg === 'dialer: pacing' && l.campaign === 'predictive');
    expect(decisions[0]).toMatchObject({ pacing: 'progressive' });
    expect(decisions.some((d) => d.pacing === 'predictive' && Number(d.dial) > Number(d.free))).toBe(true);
    // No call was tied to an operator when placed (a lead reserved after a drop is the exception: preview).
    const placed = lines.filter((l) => l.msg === 'dialer: call placed' && l.campaign === 'predictive');
    expect(placed.filter((l) => l.mode === 'progressive').every((l) => l.operator === null)).toBe(true);
    // Every customer who answered was bridged to an operator of the team or heard the message.
    const answered = new Set(tier.ami.events.filter((e) => e.UserEvent === 'DialerAnswered').map((e) => e.CallId));
    for (const callId of answered) {
      const bridged = tier.ami.events.find((e) => e.UserEvent === 'DialerBridged' && e.CallId === callId);
      const dropped = tier.ami.events.find((e) => e.UserEvent === 'DialerAbandoned' && e.CallId === callId);
      expect(bridged !== undefined || dropped !== undefined, `call ${String(callId)}`).toBe(true);
      if (bridged) expect(['21', '22', '23']).toContain(bridged.Operator);
    }
    const outcomes = (await ok<LeadView[]>('GET', '/campaigns/predictive/leads')).map((l) => l.lastOutcome);
    expect(outcomes.filter((o) => o === 'busy')).toHaveLength(40);
    expect(outcomes.filter((o) => o === 'answered' || o === 'abandoned')).toHaveLength(40);
  }, 200_000);

  it('answering-machine detection: a greeting is a person and reaches an operator, so does NOTSURE; silence is a machine, hung up on and called again later', async () => {
    await operator('31', '131');
    await operator('32', '132');
    await operator('33', '133');
    await ok('PUT', '/campaigns/amd', { department: '10', operators: ['31', '32', '33'], mode: 'ratio', ratio: 1, amd: true, hours: '00:00-24:00' });
    await ok('POST', '/campaigns/amd/leads', `+${GREETING}\n+${SILENT}\n+${NO_AUDIO}\n`, 'text/csv');
    await ok('POST', '/campaigns/amd/start');

    const leads = await leadsWhen('amd', 'both calls ended', (l) => l.attempts >= 1 && l.status !== 'calling', 60_000);
    await ok('POST', '/campaigns/amd/stop');
    const verdicts = tier.ami.events.filter((e) => e.UserEvent === 'DialerAmd').map((e) => e.Status);
    expect(verdicts.sort()).toEqual(['HUMAN', 'MACHINE', 'NOTSURE']);
    expect(leads.find((l) => l.digits === GREETING)).toMatchObject({ status: 'done', lastOutcome: 'answered' });
    expect(leads.find((l) => l.digits === SILENT)).toMatchObject({ status: 'pending', lastOutcome: 'machine' });
    expect(leads.find((l) => l.digits === NO_AUDIO)).toMatchObject({ status: 'done', lastOutcome: 'answered' });
    const human = tier.ami.events.find((e) => e.UserEvent === 'DialerAmd' && e.Status === 'HUMAN');
    await waitUntil('the person bridged', () => tier.ami.events.find((e) => e.UserEvent === 'DialerBridged' && e.CallId === human?.CallId));
    const machine = tier.ami.events.find((e) => e.UserEvent === 'DialerAmd' && e.Status === 'MACHINE');
    expect(tier.ami.events.some((e) => e.UserEvent === 'DialerAnswered' && e.CallId === machine?.CallId)).toBe(false);
  }, 90_000);
});
