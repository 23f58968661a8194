import { ABANDON_WINDOWS, AbandonWindow, abandonedPct } from '../abandon-window.ts';
import { CallHistory } from '../call-history.ts';
import { MARGIN, nextMargin, pace, type PacingConfig } from '../pacer.ts';
import { EventHeap } from './heap.ts';
import { fateOf, liveCalledMachine, type AmdModel, type Population } from './population.ts';
import { seededRandom } from './rng.ts';

/**
 * `dialer simulate`: the pacing the live dialer runs (`pace`, `nextMargin`, the same history
 * and abandoned-rate window), every second, against the fixed population model. A customer who
 * answers takes a free operator, or waits up to `holdMs` for one (the live dialplan's wait)
 * before the recorded message — an abandoned call. Operators wrap up after every call (the
 * pacing sees who does, and for how long). With answering machines in the population and AMD on,
 * a MACHINE verdict is hung up on and, as in the live dialer, its estimated live share counts as
 * answered and abandoned.
 */
export interface SimulationInput {
  readonly operators: number;
  readonly population: Population;
  readonly minutes: number;
  readonly pacing: PacingConfig;
  readonly seed: number;
  /** Answering-machine detection on every customer leg (none by default). */
  readonly amd?: AmdModel | null;
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
  /** With machines or AMD modelled: MACHINE verdicts hung up on, live people among them, and the true share of live answers dropped. */
  readonly amd?: { readonly machineVerdicts: number; readonly liveHungUp: number; readonly liveAbandonedPct: number };
}

type SimEvent =
  | { readonly at: number; readonly kind: 'answer'; readonly call: number; readonly ringMs: number; readonly talkMs: number; readonly machine: boolean }
  | { readonly at: number; readonly kind: 'machine-verdict'; readonly call: number; readonly ringMs: number; readonly live: boolean }
  | { readonly at: number; readonly kind: 'unanswered'; readonly call: number; readonly ringMs: number }
  | { readonly at: number; readonly kind: 'talk-end'; readonly operator: number; readonly talkMs: number }
  | { readonly at: number; readonly kind: 'operator-free'; readonly operator: number }
  | { readonly at: number; readonly kind: 'hold-end'; readonly customer: Waiting };

interface Waiting {
  readonly talkMs: number;
  readonly machine: boolean;
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
  // Per operator: when the talk with the current customer began, and when the wrap-up after it ends (null: none).
  const busySince: (number | null)[] = Array.from({ length: input.operators }, () => null);
  const wrapUpUntil: (number | null)[] = Array.from({ length: input.operators }, () => null);
  const ringing = new Map<number, number>();
  const waiting: Waiting[] = [];
  let margin: number = MARGIN.start;
  let nextCall = 0;
  let placed = 0;
  let answered = 0;
  let abandoned = 0;
  let talkMs = 0;
  const amd = input.amd ?? null;
  const machineRate = input.population.machineRate ?? 0;
  const liveAsMachine = amd ? liveCalledMachine(machineRate, amd.falsePositivePct) : 0;
  let machineVerdicts = 0;
  let liveHungUp = 0;
  let machinesAnswered = 0;
  let machinesDropped = 0;
  let handleMs = 0;

  const take = (operator: number, at: number, talk: number, machine: boolean): void => {
    busySince[operator] = at;
    // Only the part inside the simulated day counts; a machine's greeting is no talk.
    if (!machine) talkMs += Math.max(0, Math.min(at + talk, endMs) - at);
    handleMs += Math.max(0, Math.min(at + talk + wrapMs, endMs) - at);
    events.push({ at: at + talk, kind: 'talk-end', operator, talkMs: talk });
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
        if (e.machine) machinesAnswered += 1;
        const free = busySince.indexOf(null);
        if (free >= 0) {
          take(free, e.at, e.talkMs, e.machine);
          served(e.at);
        } else {
          const customer: Waiting = { talkMs: e.talkMs, machine: e.machine, served: false };
          waiting.push(customer);
          events.push({ at: e.at + holdMs, kind: 'hold-end', customer });
        }
        return;
      }
      case 'machine-verdict':
        // Hung up on; no operator needed. The campaign's estimate of live people among the
        // verdicts counts as answered and abandoned (the live dialer's window does the same).
        ringing.delete(e.call);
        history.addCall({ ringMs: e.ringMs, answered: false });
        machineVerdicts += 1;
        if (e.live) liveHungUp += 1;
        window.addCounts(e.at, (amd?.falsePositivePct ?? 0) / 100, (amd?.falsePositivePct ?? 0) / 100);
        margin = nextMargin(margin, 1, input.pacing.abandonTargetPct, (amd?.falsePositivePct ?? 0) / 100);
        return;
      case 'unanswered':
        ringing.delete(e.call);
        history.addCall({ ringMs: e.ringMs, answered: false });
        return;
      case 'talk-end':
        history.addTalk(e.talkMs);
        wrapUpUntil[e.operator] = e.at + wrapMs;
        events.push({ at: e.at + wrapMs, kind: 'operator-free', operator: e.operator });
        return;
      case 'operator-free': {
        busySince[e.operator] = null;
        wrapUpUntil[e.operator] = null;
        history.addWrapUp(wrapMs);
        const next = waiting.shift();
        if (next) {
          next.served = true;
          take(e.operator, e.at, next.talkMs, next.machine);
          served(e.at);
        }
        return;
      }
      case 'hold-end': {
        if (e.customer.served) return;
        waiting.splice(waiting.indexOf(e.customer), 1);
        abandoned += 1;
        if (e.customer.machine) machinesDropped += 1;
        window.add(e.at, 1);
        margin = nextMargin(margin, 1, input.pacing.abandonTargetPct);
      }
    }
  };

  for (let now = 0; now < endMs; now += STEP_MS) {
    for (let e = events.peek(); e !== undefined && e.at <= now; e = events.peek()) handle(events.pop() as SimEvent);
    const talkElapsedMs: number[] = [];
    const wrapUpLeftMs: number[] = [];
    let free = 0;
    busySince.forEach((since, operator) => {
      const wrapUpEnds = wrapUpUntil[operator] ?? null;
      if (since === null) free += 1;
      else if (wrapUpEnds !== null) wrapUpLeftMs.push(wrapUpEnds - now);
      else talkElapsedMs.push(now - since);
    });
    const ringingAgesMs = [...ringing.values()].map((placedAt) => now - placedAt);
    const decision = pace(input.pacing, {
      onlineOperators: input.operators, freeOperators: free, talkElapsedMs, wrapUpLeftMs, ringingAgesMs, waiting: waiting.length,
    }, history, window.counts(now), margin);
    for (let i = 0; i < decision.dial; i++) {
      const call = nextCall++;
      placed += 1;
      ringing.set(call, now);
      const fate = fateOf(input.population, random, now);
      if (fate.answered && amd) {
        // The dialer hears of the answer only with AMD's verdict.
        const ringMs = fate.ringMs + amd.verdictS * 1000;
        const live = !fate.machine && liveAsMachine > 0 && random() < liveAsMachine;
        if (fate.machine || live) events.push({ at: now + ringMs, kind: 'machine-verdict', call, ringMs, live });
        else events.push({ at: now + ringMs, kind: 'answer', call, ringMs, talkMs: fate.talkMs, machine: false });
      } else if (fate.answered) events.push({ at: now + fate.ringMs, kind: 'answer', call, ringMs: fate.ringMs, talkMs: fate.talkMs, machine: fate.machine });
      else events.push({ at: now + fate.ringMs, kind: 'unanswered', call, ringMs: fate.ringMs });
    }
  }
  // Events up to the end of the day still count (a customer answering in the last second).
  for (let e = events.peek(); e !== undefined && e.at <= endMs; e = events.peek()) handle(events.pop() as SimEvent);

  const operatorMs = input.operators * endMs;
  // As the dialer counts: the estimated live share of the MACHINE verdicts is answered and abandoned.
  const estimatedLive = machineVerdicts * ((amd?.falsePositivePct ?? 0) / 100);
  const liveAnswered = answered - machinesAnswered + liveHungUp;
  const modelled = amd !== null || machineRate > 0;
  return {
    placed,
    answered,
    abandoned,
    abandonedPct: round2(abandonedPct({ answered: answered + estimatedLive, abandoned: abandoned + estimatedLive })),
    occupancyPct: round2((100 * handleMs) / operatorMs),
    talkMinutesPerOperatorHour: round2((talkMs / 60_000) / (operatorMs / 3_600_000)),
    ...(modelled ? {
      amd: { machineVerdicts, liveHungUp, liveAbandonedPct: round2(abandonedPct({ answered: liveAnswered, abandoned: abandoned - machinesDropped + liveHungUp })) },
    } : {}),
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
