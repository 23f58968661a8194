import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TrunkRule } from '../../../src/doubles/asterisk/index.ts';
import { acceptedFinishes, allFinishes, attemptTrunks, click, mark, originates, settle, startService, trunkDials, waitFor, type Service } from './harness.ts';

/**
 * Which trunk a click-to-call goes out on, end to end: Bitrix24 event → connector → AMI Originate
 * → the dialplan's FastAGI route requests → Dial on the PBX → finish in Bitrix24. The shipped
 * example rules: Sales (users 1–3) may use every carrier gateway and SIP provider, HR (users 4, 5)
 * only its two SIMs; sip-beeline carries `+79*********`.
 */
const TRUNKS: readonly TrunkRule[] = [
  { match: /\d*0@/, outcome: { kind: 'busy' } },
  { match: '*89151230034@gw-mts', outcome: { kind: 'hangup', cause: 34 } },
  { match: '*89151230011@gw-hr-mts', outcome: { kind: 'hangup', cause: 34 } },
  { match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 2000 } },
];

const HR_TRUNKS = ['gsm-hr-mts', 'gsm-hr-beeline'];

describe('routing of click-to-calls through the whole service (shipped example rules)', () => {
  let s: Service;
  beforeAll(async () => {
    s = await startService({ trunks: TRUNKS });
  });
  afterAll(async () => {
    await s.close();
  });
  // Each case expects a first trunk with one channel: the previous case's call must have let it go
  // in the connector's count of busy channels (a second behind the PBX at most, by design).
  beforeEach(async () => {
    await waitFor('every trunk channel free', () => Object.keys(s.connector.calls.routes.channels.busy()).length === 0);
  });

  it('an MTS callee goes out on the MTS gateway and is finished 200 once', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+79151234567' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151234567@gw-mts']);
    expect(record).toMatchObject({ trunkId: 'gsm-mts', statusCode: '200' });
    expect(record?.attempts[0]?.tier).toBe('on-net');
    expect(allFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
  });

  it('an HR manager only ever dials HR\'s two routes: the first fails technically, the second HR SIM carries the call', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '4', number: '+79151230011' });
    const { call, record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151230011@gw-hr-mts', '89151230011@gw-hr-beeline']);
    // The stored plan itself holds nothing but HR's trunks, although Sales' eight would fit the number.
    expect(new Set(call?.plan?.attempts.map((a) => a.trunk))).toEqual(new Set(HR_TRUNKS));
    expect(attemptTrunks(record)).toEqual(HR_TRUNKS);
    expect(acceptedFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
  });

  it('a manager who picks an allowed line is dialled out on that line, not on the cheaper on-net one', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+79151230022', line: 'beeline' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151230022@gw-beeline']);
    expect(record).toMatchObject({ trunkId: 'gsm-beeline', b24Line: 'beeline', statusCode: '200' });
    expect(record?.attempts[0]?.tier).toBe('manual');
    expect(acceptedFinishes(s, callId)).toHaveLength(1);
  });

  it('a line outside the department is refused: 403 naming the line and the department, nothing dialled', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '4', number: '+79151234567', line: 'mts' });
    await settle(s, callId);
    expect(originates(s, since)).toBe(0);
    expect(trunkDials(s, since)).toEqual([]);
    const finishes = allFinishes(s, callId);
    expect(finishes).toHaveLength(1);
    expect(finishes[0]?.params.STATUS_CODE).toBe('403');
    const reason = String(finishes[0]?.params.FAILED_REASON ?? '');
    expect(reason).toContain('"mts"');
    expect(reason).toContain('Отдел HR');
  });

  it('congestion (cause 34) on the first trunk rotates to the second, which answers: one finish, 200', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+79151230034' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151230034@gw-mts', '89151230034@beeline-sip']);
    expect(record?.attempts.map((a) => [a.trunkId, a.decision])).toEqual([['gsm-mts', 'rotate'], ['sip-beeline', 'stop']]);
    expect(record).toMatchObject({ trunkId: 'sip-beeline', statusCode: '200' });
    expect(allFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
  });

  it('a busy callee is not redialled on another trunk: one Dial, finish 486', async () => {
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+79151230040' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)).toEqual(['89151230040@gw-mts']);
    expect(record?.attempts).toHaveLength(1);
    expect(allFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['486']);
  });
});

describe('unknown carrier without a catch-all mask', () => {
  let s: Service;
  beforeAll(async () => {
    s = await startService({
      trunks: [{ match: '*', outcome: { kind: 'answer', ringMs: 200, talkMs: 2000 } }],
      // DECISIONS §5: a catch-all mask would meet an unknown carrier before the default trunk.
      editRules: (dir) => {
        const file = path.join(dir, 'masks.yaml');
        const text = fs.readFileSync(file, 'utf8');
        const without = text.split('\n').filter((l) => !l.includes("'+7**********'")).join('\n');
        if (without === text) throw new Error('masks.yaml no longer has the catch-all mask this test removes');
        fs.writeFileSync(file, without);
      },
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it('a number in no range of the numbering plan goes out on the department\'s default trunk (Sales: Beeline)', async () => {
    // +7 495 800-…: the sample plan (carrier-db/sample-ABC-4xx.csv) covers 495 1…, 20…, 210…, 60…, 700… only.
    const lookup = s.connector.carriers.current().lookup('74958001234');
    expect(lookup).toMatchObject({ key: null, source: 'unknown' });
    const since = mark(s);
    const callId = await click(s, { userId: '1', number: '+74958001234' });
    const { record } = await settle(s, callId);
    expect(trunkDials(s, since)[0]).toBe('84958001234@gw-beeline');
    expect(record?.attempts[0]).toMatchObject({ trunkId: 'gsm-beeline', tier: 'default' });
    expect(acceptedFinishes(s, callId).map((f) => f.params.STATUS_CODE)).toEqual(['200']);
  });
});
