import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNumber, PbxTier, TIER_START_MS, waitUntil } from './harness.ts';
import { hasLab, LAB_SKIP_NOTE } from './lab-asterisk.ts';

/**
 * The auto-dialer on the real Asterisk with the shipped extensions_connector.conf and
 * extensions_dialer.conf: operators are Local phones whose availability is a `Custom:` device
 * state their own dialplan keeps (busy while in a call), customers are the lab trunks. The
 * connector runs its call cycle; the test drives it through the admin API only.
 */

const TOKEN = crypto.randomBytes(16).toString('hex');

// Operators' phones: 1XX answer and stay 3 s (busy meanwhile), 2XX ring and never answer.
const OPERATORS = `
[lab-operator]
exten => _1XX,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=INUSE)
 same => n,Set(CHANNEL(hangup_handler_push)=lab-operator-free,\${EXTEN},1)
 same => n,Answer()
 same => n,UserEvent(LabOperator,Operator: \${EXTEN},CallId: \${DIALER_CALL_ID})
 same => n,Wait(3)
 same => n,Hangup()
exten => _2XX,1,Ringing()
 same => n,Wait(60)
 same => n,Hangup()

; A customer who answers and stays on the line (the lab's own trunks talk 2 s): exact numbers win
; over the lab trunk's patterns in the same context.
[lab-t1]
exten => 79004699990,1,UserEvent(LabTrunk,Trunk: t1,Exten: \${EXTEN},CallerID: \${CONNECTEDLINE(num)},Linkedid: \${CHANNEL(linkedid)})
 same => n,Answer()
 same => n,Wait(30)
 same => n,Hangup(16)

[lab-operator-free]
exten => _X.,1,Set(DEVICE_STATE(Custom:op\${EXTEN})=NOT_INUSE)
 same => n,Return()
`;

/** A short tone as an 8 kHz 16-bit mono WAV: the "no free operator" message. */
function writeMessage(file: string): void {
  const samples = 4000;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 425 * i) / 8000)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36 + data.length, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24); header.writeUInt32LE(16000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write('data', 36); header.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([header, data]));
}

interface LeadView { id: string; number: string; digits: string; status: string; nextAt: number; attempts: number; lastOutcome: string | null; reserveOperator: boolean; note: string | null }

describe.skipIf(!hasLab)(`real Asterisk: the auto-dialer through the shipped dialplans${LAB_SKIP_NOTE}`, () => {
  let tier: PbxTier;
  let soundDir: string;

  beforeAll(async () => {
    soundDir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-dialer-sound-'));
    writeMessage(path.join(soundDir, 'no-operator.wav'));
    tier = await PbxTier.start({
      env: { ADMIN_TOKEN: TOKEN, DIALER_TICK_MS: '100', DIALER_OPERATOR_RING_S: '5' },
      dialerGlobals: { DIALER_NO_OPERATOR_SOUND: path.join(soundDir, 'no-operator') },
      extraDialplan: OPERATORS,
    });
  }, TIER_START_MS);
  afterAll(async () => {
    await tier?.stop();
    fs.rmSync(soundDir, { recursive: true, force: true });
  });

  async function api(method: string, url: string, body?: unknown, type = 'application/json'): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${tier.baseUrl}/admin/dialer${url}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': type } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: await res.json() };
  }

  async function ok<T = Record<string, unknown>>(method: string, url: string, body?: unknown, type?: string): Promise<T> {
    const r = await api(method, url, body, type);
    if (r.status !== 200) throw new Error(`${method} ${url}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
    return r.json as T;
  }

  /** An operator whose phone is Local/EXT@lab-operator, free, on line. */
  async function operator(id: string, ext: string): Promise<void> {
    await tier.ami.action({ Action: 'Setvar', Variable: `DEVICE_STATE(Custom:op${ext})`, Value: 'NOT_INUSE' });
    await ok('PUT', `/operators/${id}`, { dial: `Local/${ext}@lab-operator`, stateDevice: `Custom:op${ext}` });
    await ok('POST', `/operators/${id}/online`);
  }

  async function leads(campaign: string): Promise<LeadView[]> {
    return ok<LeadView[]>('GET', `/campaigns/${campaign}/leads`);
  }

  async function leadWhen(campaign: string, digits: string, what: string, check: (l: LeadView) => boolean): Promise<LeadView> {
    const deadline = Date.now() + 40_000;
    for (;;) {
      const lead = (await leads(campaign)).find((l) => l.digits === digits);
      if (lead && check(lead)) return lead;
      if (Date.now() > deadline) throw new Error(`timed out waiting for lead ${digits}: ${what} (now ${JSON.stringify(lead)})`);
      await tier.connector.waitLog('a dialer call end', (l) => l.msg === 'dialer: call ended' && !seenEnds.has(l), 2_000).then((l) => seenEnds.add(l)).catch(() => undefined);
    }
  }
  const seenEnds = new Set<unknown>();

  it('progressive: an answered customer is bridged to the free operator, whose lead card opens; a busy one is called again in 5 min', async () => {
    await operator('2', '101');
    const answered = labNumber(40, ['answer']);
    const busy = labNumber(41, ['busy']);
    await ok('PUT', '/campaigns/progressive', { department: '10', operators: ['2'], mode: 'progressive', hours: '00:00-24:00' });
    const imported = await ok('POST', '/campaigns/progressive/leads', `number,title\n${answered},Иван\n${busy},Пётр\nnot a number,Bad\n`, 'text/csv');
    expect(imported).toMatchObject({ added: 2, duplicates: 0 });
    expect(imported.rejected).toEqual([expect.stringMatching(/^line 4: /)]);
    await ok('POST', '/campaigns/progressive/start');

    // The customer answered first, then the operator's phone rang and was answered.
    const took = await tier.ami.waitEvent('the operator taking the call', (e) => e.UserEvent === 'DialerBridged' && e.Operator === '2', 30_000);
    const callId = took.CallId ?? '';
    expect(callId).toMatch(/^c2c-dl-/);
    const events = tier.ami.events.filter((e) => e.Event === 'UserEvent' && e.CallId === callId).map((e) => e.UserEvent);
    expect(events.slice(0, 2)).toEqual(['DialerAnswered', 'DialerBridged']);
    // The customer leg went out through the connector's routing: the lab's cheapest trunk, the sales number.
    expect(tier.attemptsOf(`${callId}-a`)).toEqual([{ trunk: 't1', exten: answered.slice(1), callerId: '74951234510' }]);

    const done = await leadWhen('progressive', answered.slice(1), 'answered', (l) => l.status === 'done');
    expect(done).toMatchObject({ attempts: 1, lastOutcome: 'answered' });
    // The call is registered with the operator, and its card shown to them.
    const crm = await waitUntil('the CRM call of the dialer', () => [...tier.bitrix24.state.calls.values()].find((c) => c.PHONE_NUMBER === answered && c.shownTo !== undefined));
    expect(crm).toMatchObject({ USER_ID: '2', TYPE: 1, shownTo: ['2'] });
    await tier.finished(crm.CALL_ID);

    // Then the busy one, once the operator is free again.
    const retried = await leadWhen('progressive', busy.slice(1), 'busy and rescheduled', (l) => l.lastOutcome === 'busy');
    expect(retried).toMatchObject({ status: 'pending', attempts: 1 });
    const wait = retried.nextAt - Date.now();
    expect(wait).toBeGreaterThan(4 * 60_000);
    expect(wait).toBeLessThanOrEqual(5 * 60_000);
    await ok('POST', '/campaigns/progressive/stop');
  });

  it('no free operator: the customer hears the message, the operator who did not answer goes off line, and the retry rings an operator first', async () => {
    await operator('3', '201'); // never answers
    const number = '+79004699990'; // answers and stays: the operator's phone rings out first
    await ok('PUT', '/campaigns/drop', { department: '10', operators: ['3', '5'], mode: 'progressive', hours: '00:00-24:00', retry: { technical: 0 } });
    await ok('POST', '/campaigns/drop/leads', `${number}\n`, 'text/csv');
    await ok('POST', '/campaigns/drop/start');

    const abandoned = await leadWhen('drop', number.slice(1), 'abandoned', (l) => l.lastOutcome === 'abandoned');
    expect(abandoned).toMatchObject({ reserveOperator: true, attempts: 1 });
    const callId = (await tier.ami.waitEvent('the drop', (e) => e.UserEvent === 'DialerAbandoned')).CallId;
    expect(tier.ami.events.some((e) => e.Event === 'Newexten' && e.Application === 'Playback' && (e.AppData ?? '').endsWith('no-operator') && e.Linkedid === `${callId}-a`)).toBe(true);
    const ops = await ok<{ id: string; online: boolean; offlineReason: string | null }[]>('GET', '/operators');
    expect(ops.find((o) => o.id === '3')).toMatchObject({ online: false, offlineReason: expect.stringContaining('did not answer') });

    // A free operator comes on line: the retry is placed operator first (preview) and cannot be dropped.
    await operator('5', '105');
    const done = await leadWhen('drop', number.slice(1), 'answered on the retry', (l) => l.status === 'done');
    expect(done).toMatchObject({ attempts: 2, lastOutcome: 'answered', reserveOperator: false });
    const placed = tier.connector.lines.filter((l) => l.msg === 'dialer: call placed' && l.campaign === 'drop').map((l) => l.mode);
    expect(placed).toEqual(['progressive', 'preview']);
    await ok('POST', '/campaigns/drop/stop');
  });

  it('a customer who does not answer rings the campaign\'s 15 s before a no-answer; an unallocated number is unreachable; both called again in 90 min', async () => {
    await operator('7', '107');
    await operator('8', '108');
    const silent = labNumber(46, ['noanswer']);
    const unallocated = labNumber(47, ['unallocated', 'unallocated', 'unallocated', 'unallocated', 'unallocated']);
    await ok('PUT', '/campaigns/unanswered', { department: '10', operators: ['7', '8'], mode: 'progressive', hours: '00:00-24:00', ringSeconds: 15 });
    await ok('POST', '/campaigns/unanswered/leads', `${silent}\n${unallocated}\n`, 'text/csv');
    await ok('POST', '/campaigns/unanswered/start');

    const rang = await leadWhen('unanswered', silent.slice(1), 'no answer', (l) => l.lastOutcome !== null);
    expect(rang).toMatchObject({ status: 'pending', attempts: 1, lastOutcome: 'no-answer' });
    expect(rang.nextAt - Date.now()).toBeGreaterThan(89 * 60_000);
    // The lab trunk's own ring time is 2 s; the campaign's 15 s wins in the customer leg's Dial.
    const dial = tier.ami.events.find((e) => e.Event === 'Newexten' && e.Application === 'Dial' && (e.AppData ?? '').includes(silent.slice(1)));
    expect((dial?.AppData ?? '').split(',')[1]).toBe('15');
    const gone = await leadWhen('unanswered', unallocated.slice(1), 'unreachable', (l) => l.lastOutcome !== null);
    expect(gone).toMatchObject({ status: 'pending', attempts: 1, lastOutcome: 'unreachable' });
    expect(gone.nextAt - Date.now()).toBeGreaterThan(89 * 60_000);
    // Nobody answered: no operator was rung, both are free again.
    const ops = await ok<{ id: string; online: boolean; callId: string | null }[]>('GET', '/operators');
    expect(ops.filter((o) => o.id === '7' || o.id === '8')).toEqual([expect.objectContaining({ online: true, callId: null }), expect.objectContaining({ online: true, callId: null })]);
    expect(tier.ami.events.some((e) => e.UserEvent === 'LabOperator' && (e.Operator === '107' || e.Operator === '108'))).toBe(false);
    await ok('POST', '/campaigns/unanswered/stop');
  });

  it('the do-not-call list and calling hours in the callee\'s timezone keep numbers from being dialled', async () => {
    await operator('6', '106');
    const listed = labNumber(43, ['answer']);
    const byPrefix = labNumber(44, ['answer']);
    const early = labNumber(45, ['answer']);
    expect((await api('POST', '/dnc', { numbers: ['not a number'] })).status).toBe(400);
    await ok('POST', '/dnc', { numbers: [listed], prefixes: [byPrefix.slice(1, 8)] });
    await ok('PUT', '/campaigns/dnc', { department: '10', operators: ['6'], hours: '00:00-24:00' });
    await ok('POST', '/campaigns/dnc/leads', `${listed}\n${byPrefix}\n`, 'text/csv');
    // Outside its hours: the window starts two hours from now, Moscow time (no region known for lab numbers).
    const msk = new Date(Date.now() + 3 * 3_600_000);
    const from = `${String((msk.getUTCHours() + 2) % 24).padStart(2, '0')}:00`;
    const to = `${String((msk.getUTCHours() + 3) % 24).padStart(2, '0')}:00`;
    await ok('PUT', '/campaigns/hours', { department: '10', operators: ['6'], hours: `${from}-${to}`, timezone: 'Europe/Moscow' });
    await ok('POST', '/campaigns/hours/leads', `${early}\n`, 'text/csv');
    await ok('POST', '/campaigns/dnc/start');
    await ok('POST', '/campaigns/hours/start');

    const a = await leadWhen('dnc', listed.slice(1), 'blocked', (l) => l.status === 'blocked');
    expect(a.note).toBe(`on the do-not-call list (number ${listed.slice(1)})`);
    const b = await leadWhen('dnc', byPrefix.slice(1), 'blocked', (l) => l.status === 'blocked');
    expect(b.note).toBe(`on the do-not-call list (prefix ${byPrefix.slice(1, 8)})`);
    const c = await leadWhen('hours', early.slice(1), 'postponed', (l) => l.note !== null);
    expect(c).toMatchObject({ status: 'pending', attempts: 0, note: 'calling-hours in Europe/Moscow' });
    expect(c.nextAt).toBeGreaterThan(Date.now() + 60 * 60_000);
    for (const n of [listed, byPrefix, early]) expect(tier.ami.events.filter((e) => e.UserEvent === 'LabTrunk' && e.Exten === n.slice(1))).toEqual([]);
    await ok('POST', '/campaigns/dnc/stop');
    await ok('POST', '/campaigns/hours/stop');
  });
});
