import type { CarrierLookup } from '../../core/numbering/carrier.ts';
import { decideRoute, type DecideOptions } from '../../core/routing/decide.ts';
import type { RouteDecision, RouteRequest } from '../../core/routing/types.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { TrunkHealthPort } from '../trunks/ports.ts';

/** Where the current rules and carrier index come from (RulesStore, CarrierIndexStore). */
export interface RoutingDeps {
  readonly rules: { current(): CompiledRules };
  readonly carriers: { current(): CarrierLookup };
  /** Told how long each hot-path decision took (the route decision latency metric). */
  readonly observe?: (seconds: number, decision: RouteDecision) => void;
  /** Trunks out of routes (breaker open, SIM limit); none when absent. */
  readonly health?: TrunkHealthPort;
}

const NO_OPTIONS: DecideOptions = Object.freeze({});
const EXPLAIN: DecideOptions = Object.freeze({ explain: true });

/** The hot path: the attempt list for a call, without any explanation text (DECISIONS §28). */
export function routeCall(deps: RoutingDeps, request: RouteRequest): RouteDecision {
  const options = deps.health === undefined ? NO_OPTIONS : { health: deps.health.snapshot() };
  if (!deps.observe) return decideRoute(deps.rules.current(), deps.carriers.current(), request, options);
  const started = performance.now();
  const decision = decideRoute(deps.rules.current(), deps.carriers.current(), request, options);
  deps.observe((performance.now() - started) / 1000, decision);
  return decision;
}

/** The same decision with its step-by-step trace: `route explain`, the console, `call show`. */
export function explainRoute(deps: RoutingDeps, request: RouteRequest): RouteDecision {
  const options = deps.health === undefined ? EXPLAIN : { explain: true, health: deps.health.snapshot() };
  return decideRoute(deps.rules.current(), deps.carriers.current(), request, options);
}
