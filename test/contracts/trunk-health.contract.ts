import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import { TrunkHealthRepository } from '../../src/adapters/db/repositories/trunk-health-repository.ts';
import type { Logger } from '../../src/adapters/logging/logger.ts';
import { RouteService, type RouteAnswer } from '../../src/app/calls/route-service.ts';
import { explainRoute } from '../../src/app/routing/route-call.ts';
import { TrunkHealth } from '../../src/app/trunks/trunk-health.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import type { SimLimits } from '../../src/core/rules/model.ts';
import { capturingLogger } from './calls-harness.ts';
import { fixedRouting, labRules } from './calls-lab-rules.ts';

export const TRUNK_HEALTH_TABLES = ['call_tracking', 'call_attempts', 'calls', 'sim_gaps'];

export interface HealthDbHandle {
  readonly db: Db;
  clean(): Promise<void>;
  close(): Promise<void>;
}

// 2027-01-15 10:00:00 in Moscow.
const T0 = Date.UTC(2027, 0, 15, 7, 0, 0);
const NEXT_MIDNIGHT_MSK = Date.UTC(2027, 0, 15, 21, 0, 0);

/** One connector instance: its own route service and trunk health, the shared database. */
function newInstance(db: Db, rules: CompiledRules, clock: { now(): number }, logger: Logger) {
  const health = new TrunkHealth({ store: new TrunkHealthRepository(db), rules: { current: () => rules }, clock, logger, refreshMs: 1000 });
  const routing = { ...fixedRouting(rules), health };
  const service = new RouteService({ store: new CallsRepository(db, () => clock.now()), routing, clock, logger });
  return { health, routing, service };
}
type Instance = ReturnType<typeof newInstance>;

const LIMITS: SimLimits = { callsPerHour: null, callsPerDay: null, minutesPerDay: null, minGapSeconds: null };

/**
 * Trunk health read from the stored attempts, the same on SQLite and PostgreSQL: breakers open,
 * go half-open and close as calls fail and succeed; SIM limits hold across a restart and across
 * instances.
 */
export function trunkHealthContract(label: string, open: () => Promise<HealthDbHandle>): void {
  describe(`trunk health on ${label}`, () => {
    let handle: HealthDbHandle;
    let t: number;
    const clock = { now: () => t };
    let seq = 0;

    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.close();
    });
    beforeEach(async () => {
      await handle.clean();
      t = T0;
    });
    // A test's route steps are stored behind its answers: every one of them lands before the next
    // test cleans the tables (a late write would be a stray attempt in the next test's counts).
    const made: Instance[] = [];
    afterEach(async () => {
      for (const i of made.splice(0)) {
        await i.service.drain();
        await i.health.stop();
      }
    });
    const instance = (...args: Parameters<typeof newInstance>): Instance => {
      const i = newInstance(...args);
      made.push(i);
      return i;
    };

    /** A desk-phone call's route request; the dialplan reports the previous attempt's outcome. */
    function ask(i: Instance, uid: string, number: string, attemptNo = 1, dialStatus = '', cause: number | null = null): Promise<RouteAnswer> {
      return i.service.route(
        { exten: number, attemptNo, dialStatus, hangupCause: cause, uniqueid: uid, callerIdNum: '100' },
        { read: async () => ({ callerExtension: '100', linkedid: uid }) },
      );
    }
    const trunkOf = (a: RouteAnswer) => (a.action === 'dial' ? a.trunkId : a.action === 'stop' ? `stop:${a.code}` : a.action);

    /** A call whose first attempt on trunk-congestion fails with cause 34, then rotates. */
    async function failingCall(i: Instance): Promise<string[]> {
      const uid = `ch-${++seq}`;
      const first = await ask(i, uid, '+79160000001');
      const second = await ask(i, uid, '+79160000001', 2, 'CONGESTION', 34);
      if (second.action === 'dial') i.service.callEnded(second.callId);
      return [trunkOf(first), trunkOf(second)];
    }

    async function settle(...all: Instance[]): Promise<void> {
      for (const i of all) await i.service.drain();
      for (const i of all) await i.health.refresh();
    }

    it('a trunk failing N times within M is skipped by the next call, tried once after T, and closed by a trial that does not fail', async () => {
      const rules = labRules({ trunks: { 'trunk-congestion': { breaker: { failures: 3, windowSeconds: 60, openSeconds: 120 } } } });
      const log = capturingLogger();
      const a = instance(handle.db, rules, clock, log.logger);
      const b = instance(handle.db, rules, clock, log.logger);
      await settle(a, b);

      for (let n = 0; n < 3; n++) {
        expect(await failingCall(a)).toEqual(['trunk-congestion', 'trunk-answer']);
        t += 5000;
      }
      await settle(a, b);
      // Both instances read it from the database.
      expect(a.health.snapshot().get('trunk-congestion')).toMatchObject({ kind: 'open' });
      expect(b.health.snapshot().get('trunk-congestion')).toMatchObject({ kind: 'open' });
      expect(log.lines().filter((l) => String(l.msg).startsWith('trunk breaker open: 3 failures (34 ×3)'))).toHaveLength(2);
      expect(a.health.states().get('trunk-congestion')).toBe('open');

      const skipped = await ask(b, `ch-${++seq}`, '+79160000001');
      expect(trunkOf(skipped)).toBe('trunk-answer');
      const explained = explainRoute(a.routing, { extension: '100', number: '+79160000001', origin: 'phone' });
      expect(explained.trace?.join('\n')).toMatch(/trunk trunk-congestion \(trunk-congestion\): skipped: open since 10:00:10, 3 failures \(34 ×3\); tried again with one call from 10:02:10/);

      // After T: one trial call; a second call meanwhile does not get the trunk.
      t += 121_000;
      await settle(a, b);
      expect(a.health.states().get('trunk-congestion')).toBe('half-open');
      const trialUid = `ch-${++seq}`;
      const trial = await ask(a, trialUid, '+79160000001');
      expect(trunkOf(trial)).toBe('trunk-congestion');
      expect(trunkOf(await ask(a, `ch-${++seq}`, '+79160000001'))).toBe('trunk-answer');
      await settle(a, b);
      expect(trunkOf(await ask(b, `ch-${++seq}`, '+79160000001'))).toBe('trunk-answer');

      // The trial is answered (the tracker stores its outcome): closed, the next call uses it again.
      t += 20_000;
      if (trial.action !== 'dial') throw new Error('no trial');
      await a.service.drain();
      await new CallsRepository(handle.db).setAttemptOutcome(trial.callId, 1, { dialStatus: 'ANSWER', hangupCause: 16, decision: 'stop', source: 'ami', endedAt: t });
      await settle(a, b);
      expect(a.health.snapshot().size).toBe(0);
      expect(b.health.states().get('trunk-congestion')).toBe('closed');
      expect(log.lines().some((l) => l.msg === 'trunk breaker closed' && l.trunk === 'trunk-congestion')).toBe(true);
      expect(trunkOf(await ask(b, `ch-${++seq}`, '+79160000001'))).toBe('trunk-congestion');
    });

    it('a failed trial opens the breaker again; cause 68 on a GSM trunk opens it at once', async () => {
      const rules = labRules({
        trunks: {
          'trunk-congestion': { breaker: { failures: 3, windowSeconds: 60, openSeconds: 120 } },
          'trunk-nobalance': { kind: 'gsm', carrier: 'mts', international: false },
        },
      });
      const { logger } = capturingLogger();
      const a = instance(handle.db, rules, clock, logger);
      for (let n = 0; n < 3; n++) await failingCall(a);
      t += 121_000;
      await settle(a);
      expect(await failingCall(a)).toEqual(['trunk-congestion', 'trunk-answer']);
      await settle(a);
      expect(a.health.snapshot().get('trunk-congestion')).toMatchObject({ kind: 'open', since: t });

      // +79160000004 tries trunk-nobalance, a GSM trunk: one cause 68 is enough.
      const uid = `ch-${++seq}`;
      expect(trunkOf(await ask(a, uid, '+79160000004'))).toBe('trunk-nobalance');
      expect(trunkOf(await ask(a, uid, '+79160000004', 2, 'CHANUNAVAIL', 68))).toBe('trunk-rejected');
      await settle(a);
      expect(a.health.snapshot().get('trunk-nobalance')).toMatchObject({ kind: 'open', failures: [{ cause: 68 }] });
      expect(trunkOf(await ask(a, `ch-${++seq}`, '+79160000004'))).toBe('trunk-rejected');
    });

    it('SIM limits count stored attempts: a SIM at its daily limit stays skipped after a restart and is free again after local midnight', async () => {
      const rules = labRules({ trunks: { 'trunk-busy': { kind: 'gsm', carrier: 'mts', international: false, limits: { ...LIMITS, callsPerDay: 2 } } } });
      const { logger } = capturingLogger();
      const first = instance(handle.db, rules, clock, logger);
      await settle(first);
      for (let n = 0; n < 2; n++) {
        expect(trunkOf(await ask(first, `ch-${++seq}`, '+79160000002'))).toBe('trunk-busy');
        t += 60_000;
      }
      await first.service.drain();

      const restarted = instance(handle.db, rules, clock, logger);
      await settle(restarted);
      expect(trunkOf(await ask(restarted, `ch-${++seq}`, '+79160000002'))).toBe('stop:NO_ALLOWED_TRUNK');
      const explained = explainRoute(restarted.routing, { extension: '100', number: '+79160000002', origin: 'phone' });
      expect(explained.trace?.join('\n')).toContain('trunk trunk-busy (trunk-busy): skipped: SIM limit: 2 calls today, limit 2; free again at 00:00:00');

      t = NEXT_MIDNIGHT_MSK + 1000;
      await settle(restarted);
      expect(trunkOf(await ask(restarted, `ch-${++seq}`, '+79160000002'))).toBe('trunk-busy');
    });

    it('the minimum gap between a SIM\'s calls is reserved atomically across instances', async () => {
      const rules = labRules({ trunks: { 'trunk-busy': { kind: 'gsm', carrier: 'mts', international: false, limits: { ...LIMITS, minGapSeconds: 30 } } } });
      const { logger } = capturingLogger();
      const a = instance(handle.db, rules, clock, logger);
      const b = instance(handle.db, rules, clock, logger);
      await settle(a, b);
      // Two calls at the same moment on two instances: one gets the SIM.
      const both = await Promise.all([ask(a, `ch-${++seq}`, '+79160000002'), ask(b, `ch-${++seq}`, '+79160000002')]);
      expect(both.map(trunkOf).sort()).toEqual(['stop:plan-exhausted', 'trunk-busy']);
      // Within the gap, even with a snapshot that has not seen the last call yet.
      t += 10_000;
      expect(trunkOf(await ask(b, `ch-${++seq}`, '+79160000002'))).toBe('stop:plan-exhausted');
      t += 21_000;
      expect(trunkOf(await ask(b, `ch-${++seq}`, '+79160000002'))).toBe('trunk-busy');
    });

    it('minutes per day are the started minutes of the calls the SIM carried since local midnight', async () => {
      const repo = new TrunkHealthRepository(handle.db);
      const row = (id: string, endedAt: number, durationSec: number) => ({
        id, origin: 'phone', number: '+79160000002', state: 'ended', trunk_id: 'trunk-busy',
        started_at: endedAt - durationSec * 1000, ended_at: endedAt, duration_sec: durationSec, updated_at: endedAt,
      });
      const midnight = Date.UTC(2027, 0, 14, 21, 0, 0);
      await handle.db('calls').insert([row('m1', T0 - 1000, 61), row('m2', T0, 60), row('m3', T0, 0), row('m-yesterday', midnight - 1000, 600)]);
      const usage = await repo.simUsage(['trunk-busy', 'trunk-answer'], { hourFrom: T0 - 3_600_000, dayFrom: midnight });
      expect(usage.get('trunk-busy')?.minutesToday).toBe(3);
      expect(usage.get('trunk-answer')).toEqual({ callsLastHour: 0, oldestInHourAt: null, callsToday: 0, minutesToday: 0, lastStartAt: null });
    });
  });
}
