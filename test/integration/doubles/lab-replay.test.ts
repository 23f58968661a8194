import { describe, expect, it } from 'vitest';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { hasSharedData, sharedPath } from '../../support/shared-data.ts';
import { LAB_SCENARIOS, parseCapture, projectCall, sessionCommands } from './support/lab-scenarios.ts';
import { runLabScenario } from './support/run-scenario.ts';

const LAB = (...p: string[]): string => sharedPath('ami-captures', 'asterisk-22.10.1-lab', ...p);
const scenario = (prefix: string) => {
  const sc = LAB_SCENARIOS.find((s) => s.file.startsWith(prefix));
  if (!sc) throw new Error(`no scenario ${prefix}`);
  return sc;
};
const userEvents = (msgs: Awaited<ReturnType<typeof runLabScenario>>['messages']): string[] =>
  msgs.filter((m) => amiGet(m, 'Event') === 'UserEvent').map((m) => `${amiGet(m, 'UserEvent')} ${amiGet(m, 'Attempt') ?? ''} ${amiGet(m, 'DialStatus') ?? amiGet(m, 'AgiStatus')} ${amiGet(m, 'HangupCause') ?? ''}`.trim());
const dialEnds = (msgs: Awaited<ReturnType<typeof runLabScenario>>['messages']): string[] =>
  msgs.filter((m) => amiGet(m, 'Event') === 'DialEnd' && amiGet(m, 'Channel') !== undefined).map((m) => amiGet(m, 'DialStatus') ?? '');

// These run on a bare clone: the expected facts are the lab's, written out.
describe('PBX double plays the connector dialplan like the lab Asterisk', () => {
  it('rotates after congestion (cause 34) and the second trunk answers', async () => {
    const { messages, agi } = await runLabScenario(scenario('ami-01'));
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 CONGESTION 34']);
    expect(dialEnds(messages)).toEqual(['CONGESTION', 'ANSWER']);
    expect(agi.map((s) => [s.env.agi_uniqueid, s.env.agi_arg_2, s.env.agi_arg_3, s.env.agi_arg_4])).toEqual([['c2c-o1-a', '1', '', '0'], ['c2c-o1-a', '2', 'CONGESTION', '34']]);
    const resp = messages.find((m) => amiGet(m, 'Event') === 'OriginateResponse');
    expect([amiGet(resp!, 'ActionID'), amiGet(resp!, 'Response'), amiGet(resp!, 'Reason'), amiGet(resp!, 'Uniqueid')]).toEqual(['o1', 'Success', '4', 'c2c-o1-a']);
  });

  it('busy: DIALSTATUS BUSY with HANGUPCAUSE 0, then the route stops', async () => {
    const { messages, agi } = await runLabScenario(scenario('ami-02'));
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 BUSY 0']);
    expect(agi[1]?.env.agi_arg_3).toBe('BUSY');
    const last = messages.filter((m) => amiGet(m, 'Event') === 'Hangup').map((m) => amiGet(m, 'Cause'));
    expect(last).toEqual(['0', '17', '16', '16']);
  });

  it('no answer rings past the Dial timeout: DialState RINGING then NOANSWER', async () => {
    const { messages } = await runLabScenario(scenario('ami-03'));
    expect(messages.some((m) => amiGet(m, 'Event') === 'DialState' && amiGet(m, 'DialStatus') === 'RINGING' && amiGet(m, 'Channel') !== undefined)).toBe(true);
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 NOANSWER 0']);
  });

  it('causes 68 and 21: DialEnd NOANSWER but DIALSTATUS CHANUNAVAIL', async () => {
    const { messages } = await runLabScenario(scenario('ami-04'));
    expect(dialEnds(messages)).toEqual(['NOANSWER', 'NOANSWER']);
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 CHANUNAVAIL 68', 'ConnectorAttempt 2 CHANUNAVAIL 21']);
    const caller = messages.filter((m) => amiGet(m, 'Event') === 'Hangup' && amiGet(m, 'Uniqueid') === 'c2c-o4-a');
    expect(caller.map((m) => amiGet(m, 'Cause-txt'))).toEqual(['Call Rejected']);
  });

  it('a Local channel into a missing context: both halves hang up, no DialBegin, CHANUNAVAIL cause 0', async () => {
    const { messages } = await runLabScenario(scenario('ami-05'));
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 CHANUNAVAIL 0', 'ConnectorAttempt 2 CHANUNAVAIL 41']);
    expect(messages.filter((m) => (amiGet(m, 'DestChannel') ?? '').includes('no-such-context'))).toEqual([]);
    expect(messages.filter((m) => amiGet(m, 'Event') === 'Hangup' && (amiGet(m, 'Channel') ?? '').includes('no-such-context')).map((m) => amiGet(m, 'Cause'))).toEqual(['0', '0']);
  });

  it("the manager's phone never answers: OriginateResponse Failure, Reason 3, no route request", async () => {
    const { messages, agi } = await runLabScenario(scenario('ami-06'));
    const resp = messages.find((m) => amiGet(m, 'Event') === 'OriginateResponse');
    expect([amiGet(resp!, 'Response'), amiGet(resp!, 'Reason'), amiGet(resp!, 'Channel')]).toEqual(['Failure', '3', 'Local/101@phones']);
    expect(agi).toEqual([]);
  });

  it('an unknown channel technology: OriginateResponse Failure, Reason 0, no channel events', async () => {
    const { messages } = await runLabScenario(scenario('ami-07'));
    const events = messages.map((m) => amiGet(m, 'Event')).filter((e) => e !== undefined);
    expect(events).toEqual(['FullyBooted', 'OriginateResponse']);
  });

  it('FastAGI server down: AGISTATUS FAILURE, ConnectorFailOpen, the fail-open trunk answers', async () => {
    const { messages } = await runLabScenario(scenario('ami-10'));
    expect(userEvents(messages)).toEqual(['ConnectorFailOpen  FAILURE']);
    expect(dialEnds(messages)).toEqual(['ANSWER']);
  });

  it('a desk-phone call enters connector-outbound with the extension as caller', async () => {
    const { messages, agi } = await runLabScenario(scenario('ami-11'));
    expect(agi[0]?.env.agi_callerid).toBe('100');
    expect(agi[0]?.env.agi_channel).toMatch(/^PJSIP\/100-[0-9a-f]{8}$/);
    expect(userEvents(messages)).toEqual(['ConnectorAttempt 1 BUSY 0']);
  });
});

// Same scenarios, compared event by event with what the real Asterisk 22.10.1 sent. Skipped when
// ../shared is absent: the captures are real data kept outside the repository.
describe.skipIf(!hasSharedData)('PBX double matches the lab captures event by event', () => {
  for (const sc of LAB_SCENARIOS) {
    it(sc.file, async () => {
      const fromConnector = sc.desk !== undefined;
      const mine = await runLabScenario(sc);
      const real = parseCapture(LAB(sc.file));
      const a = projectCall(mine.messages, { fromConnector });
      const b = projectCall(real, { fromConnector });
      // The dialplan thread's events in order; events other threads emit (OriginateResponse, the far
      // halves of Local channels hanging up) race in a real Asterisk, so they are compared as a set.
      expect(a.filter((l) => !l.startsWith('~'))).toEqual(b.filter((l) => !l.startsWith('~')));
      expect([...a].sort()).toEqual([...b].sort());
    });
  }

  it('the route requests carry the same agi_* block as the lab sessions', async () => {
    const { agi } = await runLabScenario(LAB_SCENARIOS[0]!);
    const labKeys = (await import('node:fs')).readFileSync(LAB('fastagi-session-01.txt'), 'utf8').split('\n').filter((l) => l.startsWith('<< agi_')).map((l) => l.slice(3, l.indexOf(':')));
    expect(Object.keys(agi[0]!.env)).toEqual(labKeys);
    expect(sessionCommands(LAB('fastagi-session-02.txt'))).toEqual(LAB_SCENARIOS[0]!.routes[1]);
  });
});
