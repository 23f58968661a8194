import { UNKNOWN_CARRIER, type CarrierLookup } from '../../src/core/numbering/carrier.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import type { MaskRule, Trunk } from '../../src/core/rules/model.ts';
import { compiled, department, trunk, user } from '../unit/routing/support.ts';

/**
 * Rules that reproduce the lab's routes (../shared/data/ami-captures/asterisk-22.10.1-lab): each
 * simulated trunk is a dialplan context; number masks put, for each test number, the trunks in the
 * order the lab dialled them.
 */
const LAB_ORDER: Readonly<Record<string, readonly string[]>> = {
  '+79160000001': ['trunk-congestion', 'trunk-answer'],
  '+79160000002': ['trunk-busy'],
  '+79160000003': ['trunk-noanswer'],
  '+79160000004': ['trunk-nobalance', 'trunk-rejected'],
  '+79160000005': ['no-such-context', 'trunk-temporary-failure', 'trunk-answer'],
  // Six technical failures in a row: the 5-attempt cap.
  '+79160000006': ['trunk-congestion', 'trunk-nobalance', 'trunk-temporary-failure', 'no-such-context', 'trunk-congestion-2', 'trunk-answer'],
};

export const LAB_TRUNKS = [
  'trunk-congestion', 'trunk-congestion-2', 'trunk-answer', 'trunk-busy', 'trunk-noanswer', 'trunk-nobalance',
  'trunk-rejected', 'trunk-temporary-failure', 'no-such-context',
];

export function labTrunk(id: string, over: Partial<Trunk> = {}): Trunk {
  const n = LAB_TRUNKS.indexOf(id) + 1;
  return trunk(id, {
    dial: `Local/{number}@${id}`,
    numberFormat: 'e164-digits',
    callerIds: [`+7495000000${n}`],
    ringTimeout: 4,
    line: `line-${id}`,
    tariffs: { byCarrier: {}, byPrefix: [], default: 1.5 },
    ...over,
  });
}

export function labRules(options: { trunks?: Partial<Record<string, Partial<Trunk>>>; maxAttempts?: number } = {}): CompiledRules {
  const masks: MaskRule[] = [];
  for (const [number, trunks] of Object.entries(LAB_ORDER)) {
    trunks.forEach((t, i) => masks.push({ mask: number, trunk: t, priority: i + 1 }));
  }
  return compiled({
    trunks: LAB_TRUNKS.map((id) => labTrunk(id, options.trunks?.[id] ?? {})),
    departments: [department('10', { trunks: LAB_TRUNKS, offNetFallback: false })],
    users: [user('12', ['10'], '100')],
    masks,
    maxAttempts: options.maxAttempts ?? 5,
  });
}

export const NO_CARRIERS: CarrierLookup = { lookup: () => UNKNOWN_CARRIER };

/** RoutingDeps over fixed rules (a `set` swaps them, like a reload). */
export function fixedRouting(rules: CompiledRules): { rules: { current(): CompiledRules; set(r: CompiledRules): void }; carriers: { current(): CarrierLookup } } {
  let current = rules;
  return {
    rules: { current: () => current, set: (r) => { current = r; } },
    carriers: { current: () => NO_CARRIERS },
  };
}
