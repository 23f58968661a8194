import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';

let h: CallsHarness;
beforeEach(async () => {
  h = await callsHarness();
});
afterEach(async () => h.close());

describe('click-to-call originate', () => {
  it('stores the plan and originates the manager’s phone into the outbound context, correlated by ChannelId', async () => {
    const r = await h.clickToCall({ crmCallId: 'externalCall.abc.1', number: '8 (916) 000-00-01', numberIsInternational: false }, 'k1');
    expect(r).toEqual({ ok: true, callId: 'c2c-k1', channelId: 'c2c-k1-a', duplicate: false });
    expect(h.originator.sent).toEqual([{
      channel: 'Local/100@phones', context: 'connector-outbound', exten: '79160000001', priority: '1', timeoutMs: 30_000,
      callerId: '"+79160000001" <100>', channelId: 'c2c-k1-a', otherChannelId: 'c2c-k1-b',
      variables: { CONNECTOR_CALL_ID: 'externalCall.abc.1', CONNECTOR_USER: '12' },
    }]);
    const call = await h.store.getCall('c2c-k1');
    expect(call).toMatchObject({
      crmCallId: 'externalCall.abc.1', linkedid: 'c2c-k1-a', originateActionId: 'action-1', state: 'planned', numberE164: '+79160000001',
      plan: { attempts: [{ trunk: 'trunk-congestion' }, { trunk: 'trunk-answer' }], maxAttempts: 5, record: true },
    });
  });

  it('the call row is written before its Originate goes out', async () => {
    const rowsAtDial: unknown[] = [];
    const originate = h.originator.originate.bind(h.originator);
    h.originator.originate = async (req) => {
      rowsAtDial.push(await h.store.getCall('c2c-w1'));
      return originate(req);
    };
    expect(await h.clickToCall({ crmCallId: 'written-1' }, 'w1')).toMatchObject({ ok: true, duplicate: false });
    expect(rowsAtDial).toMatchObject([{ id: 'c2c-w1', crmCallId: 'written-1', state: 'planned' }]);
  });

  it('uses ChannelIds that are unique and within 149 characters', async () => {
    await h.clickToCall({ crmCallId: 'a' }, 'x'.repeat(140));
    await h.clickToCall({ crmCallId: 'b' });
    await h.clickToCall({ crmCallId: 'c' });
    const ids = h.originator.sent.flatMap((s) => [s.channelId, s.otherChannelId]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(149);
  });

  it('is idempotent by CRM call id: a repeated request never originates twice', async () => {
    const first = await h.clickToCall({ crmCallId: 'dup-1' });
    const [again, concurrent] = await Promise.all([h.clickToCall({ crmCallId: 'dup-1' }), h.clickToCall({ crmCallId: 'dup-1' })]);
    expect(first.ok && !first.duplicate).toBe(true);
    expect(again).toMatchObject({ ok: true, duplicate: true, callId: first.callId });
    expect(concurrent).toMatchObject({ duplicate: true });
    expect(h.originator.sent).toHaveLength(1);
  });

  it('returns a refusal to the caller and dials nothing: unknown user, invalid number, unknown line', async () => {
    expect(await h.clickToCall({ crmCallId: 'r1', userId: '77', extension: '177' })).toMatchObject({ ok: false, code: 'UNKNOWN_USER' });
    expect(await h.clickToCall({ crmCallId: 'r2', number: '12' })).toMatchObject({ ok: false, code: 'INVALID_NUMBER' });
    expect(await h.clickToCall({ crmCallId: 'r3', line: 'no-such-line' })).toMatchObject({ ok: false, code: 'UNKNOWN_LINE' });
    expect(h.originator.sent).toEqual([]);
    // Repeated: the same refusal, still nothing dialled.
    expect(await h.clickToCall({ crmCallId: 'r2', number: '12' })).toMatchObject({ ok: false, code: 'INVALID_NUMBER', duplicate: true });
    expect(await h.store.listCallsPendingCrmHandoff(10)).toEqual([]);
  });

  it('rejects malformed input without storing anything', async () => {
    expect(await h.clickToCall({ crmCallId: 'bad,id' })).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });
    expect(await h.clickToCall({ crmCallId: 'ok-id', extension: '100;x' })).toMatchObject({ ok: false, code: 'INVALID_REQUEST', message: expect.stringContaining('extension') });
    expect(await h.store.listCalls({ limit: 10 })).toEqual([]);
  });

  it('an Originate the PBX refused ends the call and returns the failure to the caller (not handed off twice)', async () => {
    h.originator.fail = new Error('AMI is not connected');
    const r = await h.clickToCall({ crmCallId: 'of-1' }, 'of1');
    expect(r).toMatchObject({ ok: false, code: 'ORIGINATE_FAILED', callId: 'c2c-of1', message: expect.stringContaining('AMI is not connected') });
    expect(await h.store.getCall('c2c-of1')).toMatchObject({ state: 'ended', statusCode: '503', crmHandoff: 'none' });
    expect(await h.store.listCallsPendingCrmHandoff(10)).toEqual([]);
    // Asked again: the same failure, still not dialled.
    expect(await h.clickToCall({ crmCallId: 'of-1' }, 'of1b')).toMatchObject({ ok: false, code: 'ORIGINATE_FAILED', duplicate: true });
    expect(h.originator.sent).toEqual([]);
  });

  it('an OriginateResponse Failure (the manager’s phone never answered) ends the call with 603-S', async () => {
    await h.clickToCall({ crmCallId: 'nf-1' }, 'nf1');
    const ended: CallRecord[] = [];
    h.tracker.on('call-ended', (r) => ended.push(r));
    h.tracker.handle({ event: 'OriginateResponse', actionid: 'action-1', response: 'Failure', reason: '3', uniqueid: 'c2c-nf1-a', channel: 'PJSIP/100' });
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-nf1', crmCallId: 'nf-1', statusCode: '603-S', failedReason: expect.stringContaining('rang without answer') }]);
  });

  it('an OriginateResponse without a Uniqueid is matched by its ActionID', async () => {
    await h.clickToCall({ crmCallId: 'nf-2' }, 'nf2');
    const ended: CallRecord[] = [];
    h.tracker.on('call-ended', (r) => ended.push(r));
    h.tracker.handle({ event: 'OriginateResponse', actionid: 'action-1', response: 'Failure', reason: '0', uniqueid: '<unknown>', channel: 'Foo/bar' });
    await h.tracker.flush();
    expect(ended).toMatchObject([{ callId: 'c2c-nf2', statusCode: '603-S' }]);
  });
});
