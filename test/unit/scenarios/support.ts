import { loadRulesFromTexts } from '../../../src/adapters/rules/load.ts';
import type { CompiledRules } from '../../../src/core/rules/compile.ts';
import type { MachineContext } from '../../../src/core/scenarios/step-machine.ts';

const BASE: Record<string, string> = {
  'trunks.yaml': 'trunks:\n  - { id: sip, kind: sip, dial: "PJSIP/{e164}@sip", tariffs: { default: 1 } }\n',
  'departments.yaml': 'departments:\n  - { id: 10, name: Sales, trunks: [sip] }\n',
  'users.yaml': 'users:\n  - { id: 1, extension: 100, departments: [10] }\n  - { id: 2, extension: 101, departments: [10] }\n  - { id: 3, extension: 102, departments: [10] }\n  - { id: 4, extension: 200, departments: [10] }\n  - { id: 9, departments: [10] }\n',
};

/** The rules loaded exactly as from a directory, with this inbound.yaml. */
export function inboundRules(inboundYaml: string): CompiledRules {
  const result = loadRulesFromTexts('rules', { ...BASE, 'inbound.yaml': inboundYaml });
  if (!result.ok) throw new Error(`test rules are invalid:\n${result.errors.join('\n')}`);
  return result.compiled;
}

export function inboundErrors(inboundYaml: string): readonly string[] {
  const result = loadRulesFromTexts('rules', { ...BASE, 'inbound.yaml': inboundYaml });
  return result.ok ? [] : result.errors;
}

/** 2026-12-02 (a Wednesday) 12:00 in Moscow. */
export const WEDNESDAY_NOON = Date.parse('2026-12-02T09:00:00Z');

export function context(rules: CompiledRules, over: Partial<MachineContext> = {}): MachineContext {
  return {
    inbound: rules.inbound,
    extensionOf: (u) => rules.userById.get(u)?.user.extension ?? null,
    userOf: (e) => rules.userByExtension.get(e)?.user.id ?? null,
    now: WEDNESDAY_NOON,
    timezone: rules.timezone,
    random: () => 0.5,
    ...over,
  };
}
