import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { failingFirst } from '../../support/failing-first.ts';
import { AmiScript, c2cChannels } from '../../unit/calls/ami-fixture.ts';

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

  it('a call vouched new is journaled, then dialled before its row is written; the intent is settled once it is', async () => {
    let rowWritten = false;
    const onResponse = (_r: unknown, q: { sql: string }) => {
      if (/^insert into .calls/i.test(q.sql)) rowWritten = true;
    };
    h.db.on('query-response', onResponse);
    const seenAtDial: [number, boolean][] = [];
    const send = h.originator.originate.bind(h.originator);
    h.originator.originate = (req) => {
      seenAtDial.push([h.journal.recorded.length, rowWritten]);
      return send(req);
    };
    const r = await h.clickToCall({ crmCallId: 'fresh-1', knownNew: true }, 'f1');
    h.db.off('query-response', onResponse);
    expect(r).toEqual({ ok: true, callId: 'c2c-f1', channelId: 'c2c-f1-a', duplicate: false });
    // Journaled before the Originate, row written after it.
    expect(seenAtDial).toEqual([[1, false]]);
    expect(h.journal.recorded.map((c) => [c.id, c.crmCallId])).toEqual([['c2c-f1', 'fresh-1']]);
    expect(h.journal.settled).toEqual(['c2c-f1']);
    expect(await h.store.getCall('c2c-f1')).toMatchObject({ crmCallId: 'fresh-1', originateActionId: 'action-1', state: 'planned' });
  });

  it('a journaled call whose row cannot be written at first is written once the database is back, without a restart', async () => {
    const createCall = failingFirst(2, h.store.createCall.bind(h.store));
    h.store.createCall = createCall.call;
    const r = await h.clickToCall({ crmCallId: 'fresh-2', knownNew: true }, 'f2');
    // Dialled all the same: the journal holds the intent.
    expect(r).toMatchObject({ ok: true, callId: 'c2c-f2' });
    expect(h.originator.sent).toHaveLength(1);
    expect(h.journal.settled).toEqual([]);
    // Tried again after 1 s (fails), then after 2 s more (written).
    await vi.waitFor(async () => expect(await h.store.getCall('c2c-f2')).toMatchObject({ crmCallId: 'fresh-2', state: 'planned' }), { timeout: 6000, interval: 50 });
    await vi.waitFor(() => expect(h.journal.settled).toEqual(['c2c-f2']));
    expect(createCall.left()).toBe(0);
    expect(h.originator.sent).toHaveLength(1);
  });

  it('a journaled call that ends before its row could be written is closed from its journal line: one row, its CRM call id kept', async () => {
    const createCall = failingFirst(2, h.store.createCall.bind(h.store));
    h.store.createCall = createCall.call;
    const ended: CallRecord[] = [];
    h.tracker.on('call-ended', (r) => ended.push(r));
    expect(await h.clickToCall({ crmCallId: 'fresh-3', knownNew: true }, 'f3')).toMatchObject({ ok: true });
    // The manager's phone answers, then hangs up before any trunk is dialled.
    const { manager } = c2cChannels('f3', 0);
    for (const e of new AmiScript().newchannel(manager).originateResponse(manager.uniqueid, 'Success', '4').hangup(manager, 16).events) h.tracker.handle(e);
    await h.tracker.flush();
    expect(ended.map((r) => [r.callId, r.crmCallId, r.statusCode])).toEqual([['c2c-f3', 'fresh-3', '603-S']]);
    // The retry then finds the row written by that close, and settles the journal line.
    await vi.waitFor(() => expect(h.journal.settled).toEqual(['c2c-f3']), { timeout: 6000, interval: 50 });
    expect(await h.db('calls').select('id', 'crm_call_id', 'state', 'status_code')).toEqual([{ id: 'c2c-f3', crm_call_id: 'fresh-3', state: 'ended', status_code: '603-S' }]);
  });

  it('a journaled call whose Originate failed and whose row could not be written is written later as ended (503), never handed to the CRM side', async () => {
    const createCall = failingFirst(1, h.store.createCall.bind(h.store));
    h.store.createCall = createCall.call;
    // The first update finds no row; the retry's insert then works but its update fails once.
    const updateCall = h.store.updateCall.bind(h.store);
    let updates = 0;
    h.store.updateCall = async (id, update) => {
      updates += 1;
      if (updates === 2) throw new Error('SQLITE_BUSY: database is locked');
      return updateCall(id, update);
    };
    h.originator.fail = new Error('AMI is not connected');
    expect(await h.clickToCall({ crmCallId: 'fresh-4', knownNew: true }, 'f4')).toMatchObject({ ok: false, code: 'ORIGINATE_FAILED' });
    await vi.waitFor(() => expect(h.journal.settled).toEqual(['c2c-f4']), { timeout: 6000, interval: 50 });
    expect(updates).toBe(3);
    expect(await h.store.getCall('c2c-f4')).toMatchObject({ state: 'ended', statusCode: '503', failedReason: 'originate failed: AMI is not connected', crmHandoff: 'none' });
    // Ended: the sweep of calls nothing follows leaves it alone (the CRM side finished it already).
    expect(await h.tracker.closeUnfollowed(new Set(), Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  it('without the vouch, or when the journal cannot be written, the row is written before the dial', async () => {
    let rowsWritten = 0;
    const onResponse = (_r: unknown, q: { sql: string }) => {
      if (/^insert into .calls/i.test(q.sql)) rowsWritten += 1;
    };
    h.db.on('query-response', onResponse);
    const rowsAtDial: number[] = [];
    const send = h.originator.originate.bind(h.originator);
    h.originator.originate = (req) => {
      rowsAtDial.push(rowsWritten);
      return send(req);
    };
    await h.clickToCall({ crmCallId: 'plain-1' });
    h.journal.fail = new Error('ENOSPC: no space left on device');
    await h.clickToCall({ crmCallId: 'fresh-2', knownNew: true });
    h.db.off('query-response', onResponse);
    expect(rowsAtDial).toEqual([1, 2]);
    expect(h.journal.recorded).toEqual([]);
    expect(h.originator.sent).toHaveLength(2);
    expect(h.log.lines().some((l) => String(l.msg).includes('journal not writable'))).toBe(true);
    // A refusal is never journaled: nothing is dialled.
    h.journal.fail = null;
    expect(await h.clickToCall({ crmCallId: 'fresh-3', knownNew: true, number: '12' })).toMatchObject({ ok: false, code: 'INVALID_NUMBER' });
    expect(h.journal.recorded).toEqual([]);
  });

  it('a repeat of a call dialled but not yet stored (the database lagging) is recognised from the journal', async () => {
    h.journal.recorded.push({
      id: 'c2c-lagging', crmCallId: 'lagging-1', channelId: 'c2c-lagging-a', linkedid: 'c2c-lagging-a', origin: 'crm', userId: '12', extension: '100',
      number: '+79160000001', numberE164: '+79160000001', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: 1,
    });
    expect(await h.clickToCall({ crmCallId: 'lagging-1' })).toMatchObject({ ok: true, duplicate: true, callId: 'c2c-lagging' });
    expect(h.originator.sent).toEqual([]);
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
