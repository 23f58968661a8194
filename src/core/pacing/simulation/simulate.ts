import { ABANDON_WINDOWS, AbandonWindow, abandonedPct } from '../abandon-window.ts';
import { CallHistory } from '../call-history.ts';
import { MARGIN, nextMargin, pace, type PacingConfig } from '../pacer.ts';
import { EventHeap } from './heap.ts';
import { fateOf, type Population } from './population.ts';
import { seededRandom } from './rng.ts';

/**
 * `dialer simulate`: the pacing the live dialer runs (`pace`, `nextMargin`, the same history
 * and abandoned-rate window), every second, against the fixed population model. A customer who
 * answers takes a free operator, or waits up to `holdMs` for one (the live dialplan's wait)
 * before the recorded message — an abandoned call. Operators wrap up after every call.
 */
export interface SimulationInput {
  readonly operators: number;
  readonly population: Population;
  readonly minutes: number;
  readonly pacing: PacingConfig;
  readonly seed: number;
}

export interface SimulationResult {
  readonly placed: number;
  /** Customers who answered, served or dropped. */
  readonly answered: number;
  readonly abandoned: number;
  readonly abandonedPct: number;
  /** Operators' time talking and wrapping up, percent of their time on line. */
  readonly occupancyPct: number;
  readonly talkMinutesPerOperatorHour: number;
}

type SimEvent =
  | { readonly at: number; readonly kind: 'answer'; readonly call: number; readonly ringMs: number; readonly talkMs: number }
  | { readonly at: number; readonly kind: 'unanswered'; readonly call: number; readonly ringMs: number }
  | { readonly at: number; readonly kind: 'operator-free'; readonly operator: number; readonly handleMs: number }
  | { readonly at: number; readonly kind: 'hold-end'; readonly customer: Waiting };

interface Waiting {
  readonly talkMs: number;
  served: boolean;
}

const STEP_MS = 1000;

export function simulate(input: SimulationInput): SimulationResult {
  const random = seededRandom(input.seed);
  const endMs = input.minutes * 60_000;
  const holdMs = input.pacing.holdMs;
  const wrapMs = input.population.wrapUpS * 1000;
  const history = new CallHistory();
  const window = new AbandonWindow(ABANDON_WINDOWS['24h']);
  const events = new EventHeap<SimEvent>();
  const busySince: (number | null)[] = Array.from({ length: input.operators }, () => null);
  const ringing = new Map<number, number>();
  const waiting: Waiting[] = [];
  let margin: number = MARGIN.start;
  let nextCall = 0;
  let placed = 0;
  let answered = 0;
  let abandoned = 0;
  let talkMs = 0;
  let handleMs = 0;

  const take = (operator: number, at: number, talk: number): void => {
    busySince[operator] = at;
    // Only the part inside the simulated day counts.
    talkMs += Math.max(0, Math.min(at + talk, endMs) - at);
    handleMs += Math.max(0, Math.min(at + talk + wrapMs, endMs) - at);
    events.push({ at: at + talk + wrapMs, kind: 'operator-free', operator, handleMs: talk + wrapMs });
  };
  const served = (at: number): void => {
    window.add(at, 0);
    margin = nextMargin(margin, 0, input.pacing.abandonTargetPct);
  };

  const handle = (e: SimEvent): void => {
    switch (e.kind) {
      case 'answer': {
        ringing.delete(e.call);
        history.addCall({ ringMs: e.ringMs, answered: true });
        answered += 1;
        const free = busySince.indexOf(null);
        if (free >= 0) {
          take(free, e.at, e.talkMs);
          served(e.at);
        } else {
          const customer: Waiting = { talkMs: e.talkMs, served: false };
          waiting.push(customer);
          events.push({ at: e.at + holdMs, kind: 'hold-end', customer });
        }
        return;
      }
      case 'unanswered':
        ringing.delete(e.call);
        history.addCall({ ringMs: e.ringMs, answered: false });
        return;
      case 'operator-free': {
        busySince[e.operator] = null;
        history.addHandle(e.handleMs);
        const next = waiting.shift();
        if (next) {
          next.served = true;
          take(e.operator, e.at, next.talkMs);
          served(e.at);
        }
        return;
      }
      case 'hold-end': {
        if (e.customer.served) return;
        waiting.splice(waiting.indexOf(e.customer), 1);
        abandoned += 1;
        window.add(e.at, 1);
        margin = nextMargin(margin, 1, input.pacing.abandonTargetPct);
      }
    }
  };

  for (let now = 0; now < endMs; now += STEP_MS) {
    for (let e = events.peek(); e !== undefined && e.at <= now; e = events.peek()) handle(events.pop() as SimEvent);
    const busyElapsedMs: number[] = [];
    let free = 0;
    for (const since of busySince) {
      if (since === null) free += 1;
      else busyElapsedMs.push(now - since);
    }
    const ringingAgesMs = [...ringing.values()].map((placedAt) => now - placedAt);
    const decision = pace(input.pacing, {
      onlineOperators: input.operators, freeOperators: free, busyElapsedMs, ringingAgesMs, waiting: waiting.length,
    }, history, window.counts(now), margin);
    for (let i = 0; i < decision.dial; i++) {
      const call = nextCall++;
      placed += 1;
      ringing.set(call, now);
      const fate = fateOf(input.population, random, now);
      if (fate.answered) events.push({ at: now + fate.ringMs, kind: 'answer', call, ringMs: fate.ringMs, talkMs: fate.talkMs });
      else events.push({ at: now + fate.ringMs, kind: 'unanswered', call, ringMs: fate.ringMs });
    }
  }
  // Events up to the end of the day still count (a customer answering in the last second).
  for (let e = events.peek(); e !== undefined && e.at <= endMs; e = events.peek()) handle(events.pop() as SimEvent);

  const operatorMs = input.operators * endMs;
  return {
    placed,
    answered,
    abandoned,
    abandonedPct: round2(abandonedPct({ answered, abandoned })),
    occupancyPct: round2((100 * handleMs) / operatorMs),
    talkMinutesPerOperatorHour: round2((talkMs / 60_000) / (operatorMs / 3_600_000)),
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
