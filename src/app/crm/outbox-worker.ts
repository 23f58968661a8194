import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import type { Logger } from '../../adapters/logging/logger.ts';
import { silentLogger } from '../../adapters/logging/logger.ts';
import { LEASE_EXPIRED, type ClaimedOutboxEntry, type OutboxRepository } from '../../adapters/db/repositories/outbox-repository.ts';
import { describeFailure, isCallNotFound, restFailure, type RestFailure } from '../../adapters/bitrix24/errors.ts';
import { MAX_BATCH_COMMANDS, type B24Gateway, type RestOutcome } from '../../adapters/bitrix24/gateway.ts';
import { backoffMs } from './backoff.ts';
import type { CrmClock } from './clock.ts';
import type { RequestRateLimiter } from './rate-limiter.ts';
import { RecordingPathError, type RecordingResolver } from './recordings.ts';
import { RECORDING_PARAM } from './outbox-params.ts';
import { DOCUMENT_PARAM, timelineCommentParams } from './documents.ts';

export interface OutboxWorkerOptions {
  readonly repo: OutboxRepository;
  readonly gateway: B24Gateway;
  readonly clock: CrmClock;
  readonly limiter: RequestRateLimiter;
  /** Null: entries with a recording are parked (no recordings directory configured). */
  readonly recordings: RecordingResolver | null;
  /** Told of every entry parked (the admin alerts). */
  readonly onParked?: (entry: { readonly id: number; readonly method: string }, reason: string) => void;
  /** OUTBOX_MAX_ATTEMPTS: parked after this many failed attempts. */
  readonly maxAttempts: number;
  /** Entries claimed per round (≤ 50, the batch limit). */
  readonly batchSize?: number;
  /** A claim expires after this long (a worker that died mid-send); longer than Bitrix24's 60 s cut. */
  readonly leaseMs?: number;
  /**
   * Rounds sent at once by start() (default 3): the next claim runs while earlier rounds wait for
   * the limiter or the portal, so the database's latency does not idle the limiter. 1: one at a time.
   */
  readonly roundsInFlight?: number;
  readonly owner?: string;
  readonly logger?: Logger;
  readonly backoff?: (attemptsSoFar: number) => number;
}

export interface DrainReport {
  claimed: number;
  done: number;
  retried: number;
  parked: number;
  /** HTTP requests sent to Bitrix24 (a batch counts once). */
  requests: number;
}

type Prepared = { readonly entry: ClaimedOutboxEntry; readonly params: Record<string, unknown>; readonly inline: boolean };

const FINISH = 'telephony.externalcall.finish';

/** Appended to last_error once some attempt may have been processed by Bitrix24; kept on later failures. */
export const MAY_HAVE_LANDED = ' [an earlier attempt may have landed]';

/**
 * A request that got no answer (timeout, reset) or a 5xx may have been processed; a refusal by
 * the rate limit, a refused connection or any 4xx answer certainly was not.
 */
function mayHaveLanded(f: RestFailure): boolean {
  if (['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT', 'ECONNREFUSED', 'NOT_CONNECTED'].includes(f.code)) return false;
  return f.status === 0 || f.status === 408 || f.status >= 500;
}

/** Some earlier attempt of the entry may have landed: noted on its last error, or its claim ran out mid-send. */
function earlierMayHaveLanded(lastError: string | null): boolean {
  return lastError !== null && (lastError.endsWith(MAY_HAVE_LANDED) || lastError === LEASE_EXPIRED);
}

function emptyReport(): DrainReport {
  return { claimed: 0, done: 0, retried: 0, parked: 0, requests: 0 };
}

/**
 * Sends the outbox to Bitrix24: claims due entries, fills in values from predecessors' results,
 * sends them (in `batch` requests of up to 50 where the API allows; FILE_CONTENT never in a batch),
 * and records each outcome — done, retried later with exponential backoff (network errors, 5xx,
 * QUERY_LIMIT_EXCEEDED, OPERATION_TIME_LIMIT), or parked with its reason (a permanent 4xx, or
 * OUTBOX_MAX_ATTEMPTS failures). Every request waits for the client-side rate limiter.
 */
export class OutboxWorker {
  private readonly events = new EventEmitter();
  private readonly owner: string;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly logger: Logger;
  private readonly backoff: (n: number) => number;
  private readonly roundsInFlight: number;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** A round was recorded since the last claim began (it may have released dependent entries): do not idle. */
  private roundRecorded = false;

  constructor(private readonly o: OutboxWorkerOptions) {
    this.owner = o.owner ?? `worker-${crypto.randomBytes(6).toString('hex')}`;
    this.batchSize = Math.min(MAX_BATCH_COMMANDS, Math.max(1, o.batchSize ?? MAX_BATCH_COMMANDS));
    this.leaseMs = o.leaseMs ?? 120_000;
    this.roundsInFlight = Math.max(1, o.roundsInFlight ?? 3);
    this.logger = o.logger ?? silentLogger;
    this.backoff = o.backoff ?? ((n) => backoffMs(n));
    this.events.setMaxListeners(0);
  }

  /** One round: claim, send, record. Returns what happened. */
  async drainOnce(): Promise<DrainReport> {
    return this.send(await this.claim(), emptyReport());
  }

  private claim(): Promise<ClaimedOutboxEntry[]> {
    this.roundRecorded = false;
    return this.o.repo.claimDue(this.o.clock.now(), this.batchSize, this.owner, this.leaseMs);
  }

  /** Sends claimed entries and records each outcome. */
  private async send(claimed: readonly ClaimedOutboxEntry[], report: DrainReport): Promise<DrainReport> {
    report.claimed = claimed.length;
    if (claimed.length === 0) return report;

    const ready: Prepared[] = [];
    for (const entry of claimed) {
      const prepared = await this.prepare(entry);
      if ('failure' in prepared) await this.fail(entry, prepared.failure, report);
      else ready.push(prepared);
    }
    const inline = ready.filter((p) => p.inline);
    const batchable = ready.filter((p) => !p.inline);

    if (batchable.length === 1) {
      const only = batchable[0] as Prepared;
      await this.o.limiter.acquire();
      report.requests += 1;
      await this.settle(only, await this.o.gateway.call(only.entry.method, only.params), report);
    } else if (batchable.length > 1) {
      await this.o.limiter.acquire();
      report.requests += 1;
      const outcome = await this.o.gateway.batch(batchable.map((p) => ({ key: `e${p.entry.id}`, method: p.entry.method, params: p.params })));
      // A batch refused as a whole (503, the rate limit, no answer): every entry shares the failure.
      if (!outcome.ok) {
        if (outcome.error.code === 'QUERY_LIMIT_EXCEEDED') this.o.limiter.exhausted();
        await this.failMany(batchable.map((p) => p.entry), outcome.error, report);
        return this.sendInline(inline, report);
      }
      // The successes of a batch are recorded in one statement; failures one by one.
      const done: { id: number; result: unknown }[] = [];
      for (const p of batchable) {
        const one: RestOutcome = outcome.results.get(`e${p.entry.id}`) ?? { ok: false, error: restFailure('BATCH_NO_RESULT', 'no result for this command', 0) };
        if (one.ok) done.push({ id: p.entry.id, result: one.result });
        else await this.settle(p, one, report);
      }
      if (done.length > 0) {
        await this.o.repo.markDoneMany(done, this.o.clock.now(), this.owner);
        report.done += done.length;
        for (const d of done) this.events.emit(`settled:${d.id}`, d.result);
      }
    }
    return this.sendInline(inline, report);
  }

  /** Entries whose file goes inline (never in a batch): one request each. */
  private async sendInline(inline: readonly Prepared[], report: DrainReport): Promise<DrainReport> {
    for (const p of inline) {
      await this.o.limiter.acquire();
      report.requests += 1;
      await this.settle(p, await this.o.gateway.call(p.entry.method, p.params), report);
    }
    return report;
  }

  /** Drains until nothing is due (tests, the CLI, shutdown). */
  async drainUntilIdle(maxRounds = 1000): Promise<DrainReport> {
    const total = emptyReport();
    for (let i = 0; i < maxRounds; i++) {
      const r = await this.drainOnce();
      total.claimed += r.claimed;
      total.done += r.done;
      total.retried += r.retried;
      total.parked += r.parked;
      total.requests += r.requests;
      if (r.claimed === 0) break;
    }
    return total;
  }

  /**
   * Runs rounds until stopped, up to `roundsInFlight` at once; idles `pollMs` (on the injected
   * clock) when nothing is due. Claims are taken one after another, so they never overlap; an
   * entry waiting for a predecessor is claimed only once that one is recorded done, whichever
   * round sent it.
   */
  start(pollMs = 1000): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      const rounds = new Set<Promise<unknown>>();
      while (this.running) {
        if (rounds.size >= this.roundsInFlight) {
          await Promise.race(rounds);
          continue;
        }
        let claimed: ClaimedOutboxEntry[] = [];
        try {
          claimed = await this.claim();
        } catch (err) {
          this.logger.error({ err }, 'outbox round failed');
        }
        if (claimed.length === 0) {
          if (this.running) await this.idle(pollMs);
          continue;
        }
        const round: Promise<unknown> = this.send(claimed, emptyReport())
          .catch((err: unknown) => this.logger.error({ err }, 'outbox round failed'))
          // What it recorded may have released dependent entries: claim again.
          .finally(() => {
            rounds.delete(round);
            this.roundRecorded = true;
            this.wake?.();
          });
        rounds.add(round);
      }
      await Promise.all(rounds);
    })();
  }

  /** New entries were enqueued: start a round now instead of waiting for the poll. */
  notify(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /**
   * Resolves with the entry's result once it is done, or null when it was parked or `timeoutMs`
   * passed (on the injected clock).
   */
  async waitFor(id: number, timeoutMs: number): Promise<unknown> {
    let settle: (result: unknown) => void = () => undefined;
    const settled = new Promise<unknown>((resolve) => {
      settle = resolve;
    });
    // Listen before looking, so a settlement between the two is not missed.
    const onSettled = (result: unknown) => settle(result);
    this.events.on(`settled:${id}`, onSettled);
    try {
      const current = await this.o.repo.get(id);
      if (current?.state === 'done') return current.result;
      if (!current || current.state === 'parked') return null;
      this.notify();
      return await Promise.race([settled, this.o.clock.sleep(timeoutMs).then(() => null)]);
    } finally {
      this.events.off(`settled:${id}`, onSettled);
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.roundRecorded) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.wake = null;
        resolve();
      };
      this.wake = done;
      void this.o.clock.sleep(ms).then(done);
    });
  }

  private async prepare(entry: ClaimedOutboxEntry): Promise<Prepared | { failure: RestFailure }> {
    const params: Record<string, unknown> = { ...entry.params };
    if (entry.inject) {
      const source = (entry.dependencyResult ?? {}) as Record<string, unknown>;
      for (const [param, field] of Object.entries(entry.inject)) {
        const value = source[field];
        if (value === undefined || value === null || value === '') {
          return { failure: restFailure('DEPENDENCY_RESULT_MISSING', `entry #${entry.dependsOn} has no ${field} in its result`, 400) };
        }
        params[param] = value;
      }
    }
    let inline = false;
    const recording = params[RECORDING_PARAM];
    if (recording !== undefined) {
      delete params[RECORDING_PARAM];
      if (!this.o.recordings) return { failure: restFailure('RECORDING_UNAVAILABLE', 'no recordings directory is configured', 400) };
      try {
        const payload = await this.o.recordings.payload(String(recording), this.o.clock.now());
        Object.assign(params, payload);
        // FILE_CONTENT is never sent inside a batch (DECISIONS §20).
        inline = 'FILE_CONTENT' in payload;
      } catch (err) {
        if (err instanceof RecordingPathError) return { failure: restFailure('RECORDING_REFUSED', err.message, 400) };
        const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO';
        // A missing file may still be being closed by MixMonitor: retried, then parked.
        return { failure: restFailure('RECORDING_NOT_READABLE', `recording ${code}`, 0) };
      }
    }
    if (params[DOCUMENT_PARAM] !== undefined) {
      if (!this.o.recordings) return { failure: restFailure('RECORDING_UNAVAILABLE', 'no recordings directory is configured', 400) };
      try {
        // The file goes inline, never inside a batch (as FILE_CONTENT, DECISIONS §20).
        return { entry, params: await timelineCommentParams(params, this.o.recordings), inline: true };
      } catch (err) {
        if (err instanceof RecordingPathError) return { failure: restFailure('RECORDING_REFUSED', err.message, 400) };
        return { failure: restFailure('RECORDING_NOT_READABLE', `document ${(err as NodeJS.ErrnoException)?.code ?? 'EIO'}`, 0) };
      }
    }
    return { entry, params, inline };
  }

  private async settle(p: Prepared, outcome: RestOutcome, report: DrainReport): Promise<void> {
    const now = this.o.clock.now();
    if (outcome.ok) {
      await this.o.repo.markDone(p.entry.id, outcome.result, now, this.owner);
      report.done += 1;
      this.events.emit(`settled:${p.entry.id}`, outcome.result);
      return;
    }
    const f = outcome.error;
    // A finish retried after an attempt whose answer was lost: "Call is not found" means that
    // attempt succeeded and the call left the list of calls in progress (DECISIONS §20).
    if (p.entry.method.toLowerCase() === FINISH && earlierMayHaveLanded(p.entry.lastError) && isCallNotFound(f)) {
      const result = { CALL_ID: p.params.CALL_ID, alreadyFinished: true };
      await this.o.repo.markDone(p.entry.id, result, now, this.owner);
      report.done += 1;
      this.logger.info({ outboxId: p.entry.id }, 'finish had already succeeded on an earlier attempt');
      this.events.emit(`settled:${p.entry.id}`, result);
      return;
    }
    if (f.code === 'QUERY_LIMIT_EXCEEDED') this.o.limiter.exhausted();
    await this.fail(p.entry, f, report, true);
  }

  /** One sent request failed for all these entries: recorded in one statement per distinct outcome. */
  private async failMany(entries: readonly ClaimedOutboxEntry[], f: RestFailure, report: DrainReport): Promise<void> {
    const now = this.o.clock.now();
    const groups = new Map<string, { failure: { error: string; park: boolean; nextAttemptAt: number }; entries: ClaimedOutboxEntry[] }>();
    for (const entry of entries) {
      const failure = this.failureOf(entry, f, true, now);
      const key = `${failure.park}|${failure.nextAttemptAt}|${failure.error}`;
      const group = groups.get(key) ?? { failure, entries: [] };
      group.entries.push(entry);
      groups.set(key, group);
    }
    for (const { failure, entries: group } of groups.values()) {
      await this.o.repo.markFailedMany(group.map((e) => e.id), failure, now, this.owner);
      for (const entry of group) this.failed(entry, f, failure, report);
    }
  }

  /** How a failed attempt of `entry` is recorded: its error text, parked or not, when to try again. */
  private failureOf(entry: ClaimedOutboxEntry, f: RestFailure, sent: boolean, now: number): { error: string; park: boolean; nextAttemptAt: number } {
    const attempts = entry.attempts + 1;
    const park = f.kind === 'permanent' || attempts >= this.o.maxAttempts;
    const landed = (sent && mayHaveLanded(f)) || earlierMayHaveLanded(entry.lastError);
    const error = (park && f.kind !== 'permanent' ? `gave up after ${attempts} attempts; last: ${describeFailure(f)}` : describeFailure(f)) + (landed ? MAY_HAVE_LANDED : '');
    return { error, park, nextAttemptAt: now + this.backoff(attempts) };
  }

  /** Reports a recorded failure: parked entries are logged, announced and settled; others logged for retry. */
  private failed(entry: ClaimedOutboxEntry, f: RestFailure, failure: { error: string; park: boolean }, report: DrainReport): void {
    if (failure.park) {
      report.parked += 1;
      this.logger.warn({ outboxId: entry.id, method: entry.method, code: f.code, status: f.status }, `outbox entry parked: ${failure.error}`);
      this.events.emit(`settled:${entry.id}`, null);
      this.o.onParked?.({ id: entry.id, method: entry.method }, failure.error);
    } else {
      report.retried += 1;
      this.logger.info({ outboxId: entry.id, method: entry.method, code: f.code, status: f.status, attempts: entry.attempts + 1 }, 'outbox entry will be retried');
    }
  }

  /** `sent`: the request went out (false: it failed while being prepared). */
  private async fail(entry: ClaimedOutboxEntry, f: RestFailure, report: DrainReport, sent = false): Promise<void> {
    const now = this.o.clock.now();
    const failure = this.failureOf(entry, f, sent, now);
    await this.o.repo.markFailed(entry.id, failure, now, this.owner);
    this.failed(entry, f, failure, report);
  }
}
