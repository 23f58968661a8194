import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileIntakeJournal } from '../../../src/adapters/journal/intake-journal.ts';
import { allFinishes, mark, originates, settle, startEventData, startService, waitFor, type Service } from './harness.ts';

/**
 * Fresh clicks are answered and dialled before their rows are written; the intake journal is what
 * a restart reads to know about them. These tests stop the connector, leave in its journal what a
 * process stopped at the worst moment would have left, and start it again.
 */
describe('intake journal across a stop', () => {
  let s: Service;
  beforeAll(async () => {
    // The PBX channel list is compared every second (not every minute), so a call nothing follows is closed within the test.
    s = await startService({ trunks: [{ match: '*', outcome: { kind: 'busy' } }], env: { TRACKER_RECONCILE_MS: '1000' } });
  });
  afterAll(async () => {
    await s.close();
  });

  const journalDir = () => path.join(path.dirname(s.connector.env.DATABASE_URL), 'intake-journal');
  /** A click Bitrix24 registered and posted, as the stopped process journaled it. */
  const journaledClick = (journal: FileIntakeJournal, number: string) => {
    const call = s.bitrix24.state.registerClickToCall('1', number);
    const now = Date.now();
    journal.events.record({ event: 'ONEXTERNALCALLSTART', eventKey: call.CALL_ID, data: startEventData(call.CALL_ID, { userId: '1', number }), ts: Math.floor(now / 1000), receivedAt: now });
    return call.CALL_ID;
  };

  it('a click dialled but never written: stored at the start, never dialled again, closed as unseen once its channels are gone', async () => {
    let crmCallId = '';
    await s.restartConnector(async () => {
      const journal = FileIntakeJournal.open(journalDir());
      crmCallId = journaledClick(journal, '+79151230001');
      journal.calls.record({
        id: 'c2c-journaled1', crmCallId, channelId: 'c2c-journaled1-a', linkedid: 'c2c-journaled1-a', origin: 'crm', userId: '1', extension: '100',
        number: '+79151230001', numberE164: '+79151230001', line: null, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: Date.now(),
      });
      journal.close();
    });
    const since = mark(s);
    await waitFor('the journaled click to be handled', async () => {
      const row = (await s.connector.db('crm_events').where({ event_key: crmCallId }).first('state')) as { state: string } | undefined;
      return row?.state === 'done';
    });
    // The PBX has no channel of it: whether it was answered was not seen, and Bitrix24 is told so.
    const { record } = await settle(s, crmCallId);
    expect(record).toMatchObject({ callId: 'c2c-journaled1', statusCode: 'OTHER', failedReason: expect.stringMatching(/not following the PBX/) });
    expect(allFinishes(s, crmCallId).map((f) => f.params.STATUS_CODE)).toEqual(['OTHER']);
    expect(originates(s, since)).toBe(0);
  });

  it('a click answered but not yet dialled: handled after the start, dialled once, written once', async () => {
    let crmCallId = '';
    await s.restartConnector(async () => {
      const journal = FileIntakeJournal.open(journalDir());
      crmCallId = journaledClick(journal, '+79151230002');
      journal.close();
    });
    const since = mark(s);
    const { record } = await settle(s, crmCallId);
    expect(record).toMatchObject({ statusCode: '486' });
    expect(originates(s, since)).toBe(1);
    expect(allFinishes(s, crmCallId).map((f) => f.params.STATUS_CODE)).toEqual(['486']);
  });
});
