import type { Logger } from '../../adapters/logging/logger.ts';
import { evaluateBreaker, FRESH, type BreakerCarry, type BreakerView, type Trial } from '../../core/health/breaker.ts';
import { failureSummary } from '../../core/health/describe.ts';
import { DAY_MS, HOUR_MS, localMidnight, simLimitReached } from '../../core/health/sim-limits.ts';
import { HEALTHY, type Failure, type HealthSnapshot, type TrunkBlock } from '../../core/health/snapshot.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { OutcomeDecision } from '../../core/rules/model.ts';
import type { FailureRow, TrunkHealthPort, TrunkHealthStore } from './ports.ts';
import { FreshRead } from '../shared/fresh-read.ts';

export type BreakerState = BreakerView['state'];

export interface TrunkHealthOptions {
  readonly store: TrunkHealthStore;
  readonly rules: { current(): CompiledRules };
  readonly clock: { now(): number };
  readonly logger: Logger;
  /** How often the counts are read again: the snapshot's stated staleness (1 s). */
  readonly refreshMs: number;
  /** Told on every breaker state change and SIM limit change (the /metrics gauges, alerts); `failures`: what opened it. */
  readonly onChange?: (trunkId: string, state: BreakerState, limited: boolean, failures: readonly Failure[]) => void;
}

/** At start, how far back failures are read (later refreshes read one window plus one open period). */
const STARTUP_LOOKBACK_MS = HOUR_MS;

/** Outcome-triggered refreshes are at least this far apart. */
const SOON_MS = 100;

/** A trial still without an outcome this long after its ring time ended was answered. */
const TRIAL_GRACE_MS = 30_000;

/**
 * Trunk health, shared by every instance through the database: each refresh reads the stored
 * technical failures and SIM use, runs every trunk's breaker (core/health) and publishes a
 * snapshot the route decision reads without waiting. A route answer and a stored outcome on this
 * instance take effect at once (a trial marked, a refresh asked for); another instance's within
 * one refresh period.
 */
export class TrunkHealth implements TrunkHealthPort {
  private snap: HealthSnapshot = HEALTHY;
  private readonly carries = new Map<string, BreakerCarry>();
  private readonly views = new Map<string, BreakerView>();
  private readonly limits = new Map<string, TrunkBlock>();
  /** Trials this instance started, by trunk: kept until the stored attempts show them. */
  private readonly localTrials = new Map<string, number>();
  private refreshed = false;
  private readonly reads = new FreshRead(() => this.run());
  private timer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private lastStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: TrunkHealthOptions) {}

  snapshot(): HealthSnapshot {
    return this.snap;
  }

  started(trunkId: string, at: number): void {
    const view = this.views.get(trunkId);
    if (view?.state !== 'half-open' || view.trialSince !== null || this.localTrials.has(trunkId)) return;
    this.localTrials.set(trunkId, at);
    this.views.set(trunkId, { ...view, trialSince: at });
    this.change(trunkId, view.state, { ...view, trialSince: at });
    this.publish();
  }

  outcome(_trunkId: string, decision: OutcomeDecision): void {
    // A failure may open a breaker, any outcome may end a trial: count again now, not in a second.
    if (decision === 'rotate' || this.snap.size > 0 || this.localTrials.size > 0) this.soon();
  }

  /** A refresh now, or as soon as SOON_MS passed since the last one began (a storm of failures is one read per SOON_MS). */
  private soon(): void {
    if (this.soonTimer) return;
    const wait = this.lastStart + SOON_MS - performance.now();
    if (wait <= 0) {
      void this.refresh();
      return;
    }
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      void this.refresh();
    }, wait);
    this.soonTimer.unref();
  }

  needsReservation(trunkId: string): boolean {
    return (this.o.rules.current().trunkById.get(trunkId)?.trunk.limits?.minGapSeconds ?? null) !== null;
  }

  async reserve(trunkId: string, at: number): Promise<boolean> {
    const gap = this.o.rules.current().trunkById.get(trunkId)?.trunk.limits?.minGapSeconds ?? null;
    if (gap === null) return true;
    const ok = await this.o.store.reserveGap(trunkId, at, gap * 1000);
    if (!ok) this.soon();
    return ok;
  }

  /** Every trunk's breaker state (closed unless known otherwise). */
  states(): ReadonlyMap<string, BreakerState> {
    const out = new Map<string, BreakerState>();
    for (const t of this.o.rules.current().trunks) out.set(t.id, this.views.get(t.id)?.state ?? 'closed');
    return out;
  }

  /** Reads the counts again (see FreshRead: resolves after a read that began after this call). */
  refresh(): Promise<void> {
    return this.reads.refresh();
  }

  /** First refresh, then one every `refreshMs`; a failed refresh is logged and the last snapshot stays. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.o.refreshMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.timer = null;
    this.soonTimer = null;
    await this.reads.settled();
  }

  private async run(): Promise<void> {
    this.lastStart = performance.now();
    try {
      await this.read();
    } catch (err) {
      this.o.logger.warn({ err }, 'trunk health: reading the counts failed; the last snapshot stays in use');
    }
  }

  private async read(): Promise<void> {
    const rules = this.o.rules.current();
    const now = this.o.clock.now();
    let lookback = 0;
    for (const ct of rules.trunks) {
      const b = ct.trunk.breaker;
      lookback = Math.max(lookback, (b.windowSeconds + b.openSeconds + ct.trunk.ringTimeout) * 1000 + TRIAL_GRACE_MS);
    }
    if (!this.refreshed) lookback = Math.max(lookback, STARTUP_LOOKBACK_MS);
    const byTrunk = groupFailures(await this.o.store.failuresSince(now - lookback));
    // Trunks a reload removed are forgotten.
    for (const id of [...this.views.keys()]) {
      if (!rules.trunkById.has(id)) {
        this.views.delete(id);
        this.carries.delete(id);
        this.localTrials.delete(id);
      }
    }

    for (const ct of rules.trunks) {
      const view = await this.breaker(ct.id, ct.trunk.kind === 'gsm', byTrunk.get(ct.id) ?? NO_FAILURES, rules, now);
      const was = this.views.get(ct.id)?.state ?? 'closed';
      this.views.set(ct.id, view);
      if (was !== view.state) this.change(ct.id, was, view);
    }

    const limited = rules.trunks.filter((ct) => ct.trunk.limits !== null);
    // Only with limits: the zone's first date format loads its time-zone data (a cold CLI feels it).
    const dayFrom = limited.length > 0 ? localMidnight(now, rules.timezone) : now;
    const usage = limited.length > 0
      ? await this.o.store.simUsage(limited.map((ct) => ct.id), { hourFrom: now - HOUR_MS, dayFrom })
      : new Map();
    const before = new Map(this.limits);
    this.limits.clear();
    for (const ct of limited) {
      const use = usage.get(ct.id) ?? { callsLastHour: 0, oldestInHourAt: null, callsToday: 0, minutesToday: 0, lastStartAt: null };
      const block = simLimitReached(ct.trunk.limits!, use, now, dayFrom + DAY_MS);
      if (block !== null) this.limits.set(ct.id, block);
      this.limitChange(ct.id, before.get(ct.id), block);
    }
    this.refreshed = true;
    this.publish();
  }

  private async breaker(id: string, gsm: boolean, failures: readonly Failure[], rules: CompiledRules, now: number): Promise<BreakerView> {
    const trunk = rules.trunkById.get(id)!.trunk;
    const trials = new Map<number, Trial | null>();
    const input = {
      settings: trunk.breaker, gsm, failures, now, carry: this.carries.get(id) ?? FRESH,
      trialTimeoutMs: trunk.ringTimeout * 1000 + TRIAL_GRACE_MS,
      trialFrom: (from: number) => trials.get(from),
    };
    // Each lookup answers one trial; a failed trial reopens, so a few rounds at most.
    for (let round = 0; round < 20; round++) {
      const result = evaluateBreaker(input);
      if ('needTrialFrom' in result) {
        trials.set(result.needTrialFrom, await this.o.store.firstAttemptFrom(id, result.needTrialFrom));
        continue;
      }
      this.carries.set(id, result.carry);
      const view = result.view;
      const local = this.localTrials.get(id);
      if (view.state !== 'half-open') {
        this.localTrials.delete(id);
        return view;
      }
      if (view.trialSince !== null) {
        this.localTrials.delete(id);
        return view;
      }
      // The trial this instance started may not be stored yet: it is still under way.
      if (local !== undefined && now - local < input.trialTimeoutMs) return { ...view, trialSince: local };
      this.localTrials.delete(id);
      return view;
    }
    return this.views.get(id) ?? { state: 'closed' };
  }

  private publish(): void {
    const next = new Map<string, TrunkBlock>();
    for (const [id, view] of this.views) {
      if (view.state === 'open') next.set(id, { kind: 'open', since: view.since, until: view.until, failures: view.failures });
      else if (view.state === 'half-open' && view.trialSince !== null) next.set(id, { kind: 'trial', since: view.since, trialSince: view.trialSince });
    }
    for (const [id, block] of this.limits) if (!next.has(id)) next.set(id, block);
    this.snap = next.size === 0 ? HEALTHY : next;
  }

  private change(trunk: string, from: BreakerState, view: BreakerView): void {
    const log = this.o.logger;
    switch (view.state) {
      case 'open':
        log.warn({ trunk, from, since: view.since, until: view.until }, `trunk breaker open: ${failureSummary(view.failures)}; out of routes until one trial call`);
        break;
      case 'half-open':
        if (view.trialSince === null) log.info({ trunk, from }, 'trunk breaker half-open: the next call is the trial');
        else log.info({ trunk, from, trialSince: view.trialSince }, 'trunk breaker half-open: trial call under way');
        break;
      case 'closed':
        log.info({ trunk, from }, 'trunk breaker closed');
        break;
    }
    this.o.onChange?.(trunk, view.state, this.limits.has(trunk), view.state === 'open' ? view.failures : NO_FAILURES);
  }

  private limitChange(trunk: string, before: TrunkBlock | undefined, after: TrunkBlock | null): void {
    const was = before?.kind === 'limit' ? before.limit : null;
    const now = after?.kind === 'limit' ? after.limit : null;
    if (was === now) return;
    const state = this.views.get(trunk)?.state ?? 'closed';
    // The minimum gap comes and goes with every call: the gauge follows it, the log does not.
    if (now !== null && now !== 'minGapSeconds' && after?.kind === 'limit') {
      this.o.logger.warn({ trunk, limit: now, used: after.used, max: after.max, until: after.until }, 'trunk SIM limit reached: out of routes');
    } else if (was !== null && was !== 'minGapSeconds' && now === null) {
      this.o.logger.info({ trunk, limit: was }, 'trunk SIM limit no longer reached');
    }
    this.o.onChange?.(trunk, state, now !== null, NO_FAILURES);
  }
}

const NO_FAILURES: readonly Failure[] = [];

function groupFailures(rows: readonly FailureRow[]): Map<string, Failure[]> {
  const out = new Map<string, Failure[]>();
  for (const r of rows) {
    let list = out.get(r.trunkId);
    if (!list) out.set(r.trunkId, (list = []));
    list.push({ at: r.at, cause: r.cause });
  }
  return out;
}
