import type { Group, InboundNumber, InboundRules, Scenario } from './model.ts';

/** Inbound rules indexed once per load for the per-step decision. */
export interface CompiledInbound {
  readonly rules: InboundRules;
  /** By the DID's E.164 digits (no plus). */
  readonly numberByDigits: ReadonlyMap<string, InboundNumber>;
  readonly scenarioById: ReadonlyMap<string, Scenario>;
  readonly groupById: ReadonlyMap<string, Group>;
}

export function compileInbound(rules: InboundRules): CompiledInbound {
  return Object.freeze({
    rules,
    numberByDigits: new Map(rules.numbers.map((n) => [n.number.replace(/^\+/, ''), n])),
    scenarioById: new Map(rules.scenarios.map((s) => [s.id, s])),
    groupById: new Map(rules.groups.map((g) => [g.id, g])),
  });
}

/** The Asterisk queue that rings a group whose strategy needs memory across calls (rrmemory, leastrecent). */
export function queueName(groupId: string): string {
  return `connector-${groupId}`;
}
