import { afterEach, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { buildTrunkHealth } from '../../../src/composition/trunk-health.ts';
import { capturingLogger } from '../../contracts/calls-harness.ts';
import { labRules } from '../../contracts/calls-lab-rules.ts';
import { tempSqliteDb } from '../../support/db.ts';

const T0 = Date.UTC(2027, 0, 15, 7, 0, 0);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('trunk health on /metrics and in the log', () => {
  it('shows every trunk\'s breaker state; a GSM SIM out of credit (cause 68) opens at once, with one log line', async () => {
    const handle = await tempSqliteDb();
    closers.push(() => handle.close());
    const rules = labRules({ trunks: { 'trunk-nobalance': { kind: 'gsm', carrier: 'mts', international: false } } });
    const metrics = createMetrics({ defaultMetrics: false });
    const log = capturingLogger();
    const health = buildTrunkHealth({ db: handle.db, rules: { current: () => rules }, logger: log.logger, metrics, clock: { now: () => T0 } });
    await health.refresh();
    expect(await metrics.registry.getSingleMetricAsString('b24pbx_trunk_breaker_state')).toContain('b24pbx_trunk_breaker_state{trunk="trunk-nobalance"} 0');

    // An attempt on the GSM trunk ended CHANUNAVAIL with cause 68, as stored by a route request.
    const store = new CallsRepository(handle.db, () => T0);
    await store.createCall({
      id: 'desk-1', crmCallId: null, channelId: 'ch-1', linkedid: 'ch-1', origin: 'phone', userId: '12', extension: '100',
      number: '+79160000004', numberE164: '+79160000004', line: null, state: 'routing', plan: null, refusalCode: null, refusalMessage: null, startedAt: T0 - 5000,
    });
    await store.addAttempt({
      callId: 'desk-1', attemptNo: 1, planIndex: 0, trunkId: 'trunk-nobalance', dial: 'Local/79160000004@trunk-nobalance', callerId: null,
      tier: 'mask', perMinute: 1.5, linkedid: 'ch-1', startedAt: T0 - 5000,
    });
    await store.setAttemptOutcome('desk-1', 1, { dialStatus: 'CHANUNAVAIL', hangupCause: 68, decision: 'rotate', source: 'agi', endedAt: T0 - 4000 });
    await health.refresh();

    const text = await metrics.registry.getSingleMetricAsString('b24pbx_trunk_breaker_state');
    expect(text).toContain('b24pbx_trunk_breaker_state{trunk="trunk-nobalance"} 2');
    expect(text).toContain('b24pbx_trunk_breaker_state{trunk="trunk-answer"} 0');
    const changes = log.lines().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('trunk breaker'));
    expect(changes).toEqual([expect.objectContaining({ trunk: 'trunk-nobalance', from: 'closed', msg: 'trunk breaker open: 1 failure (68 ×1); out of routes until one trial call' })]);
  });
});
