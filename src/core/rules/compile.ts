import { parseDialTemplate, type DialTemplate } from '../routing/dial-string.ts';
import { compileInbound, type CompiledInbound } from '../scenarios/compile.ts';
import { NO_INBOUND } from '../scenarios/model.ts';
import { parseMask, type CompiledMask } from './mask.ts';
import type { CallOrigin, Department, PersonalCallerId, Rules, Trunk, User } from './model.ts';

/**
 * Rules compiled once per load into what the hot path needs: maps by id, masks sorted by
 * specificity, prefix tables sorted longest first, every user's effective policy resolved.
 * Immutable: a reload builds a new one and swaps the reference.
 */
export interface CompiledRules {
  readonly rules: Rules;
  /** In rules order (the explanation walks every trunk). */
  readonly trunks: readonly CompiledTrunk[];
  readonly trunkById: ReadonlyMap<string, CompiledTrunk>;
  /** Bitrix24 line number → trunk. */
  readonly trunkByLine: ReadonlyMap<string, CompiledTrunk>;
  readonly userById: ReadonlyMap<string, CompiledUser>;
  readonly userByExtension: ReadonlyMap<string, CompiledUser>;
  /** Each department as a caller on no employee's behalf: resolved like a user of only that department. */
  readonly departmentCallerById: ReadonlyMap<string, CompiledUser>;
  readonly departmentById: ReadonlyMap<string, Department>;
  /** Most specific first, then mask priority. */
  readonly masks: readonly CompiledMask[];
  readonly callerIds: CompiledCallerIds;
  readonly maxAttempts: number;
  readonly defaultCountry: string;
  readonly timezone: string;
  readonly inbound: CompiledInbound;
}

export interface CompiledTrunk {
  readonly trunk: Trunk;
  readonly id: string;
  readonly dial: DialTemplate;
  /** The trunk's caller-ID numbers minus the disabled ones, in the order configured. */
  readonly presentable: readonly string[];
  readonly presentableSet: ReadonlySet<string>;
  /** It has numbers but every one is disabled: never chosen (DECISIONS §11). */
  readonly allNumbersDisabled: boolean;
  /** Longest prefix first. */
  readonly prefixTariffs: readonly { readonly prefix: string; readonly perMinute: number }[];
  /** The masks naming this trunk, most specific first. */
  readonly masks: readonly CompiledMask[];
  /** Named by at least one mask (so it is not a universal trunk). */
  readonly maskNamed: boolean;
  /** Seed 000's last resort: a SIP trunk without a carrier that no mask names. */
  readonly universal: boolean;
}

/** The policy a user dials under: the union of every department policy that applies (DECISIONS §8). */
export interface EffectivePolicy {
  /** The departments whose policies apply (nearest policy-holding department for each of the user's). */
  readonly sources: readonly string[];
  /** Union of the whitelists, in the order the departments list them. */
  readonly trunks: readonly string[];
  /** The same trunks, compiled (the hot path iterates these). */
  readonly trunkList: readonly CompiledTrunk[];
  readonly trunkSet: ReadonlySet<string>;
  readonly defaultTrunks: ReadonlySet<string>;
  /** Any applying policy opts in. */
  readonly rotateAfterManualLine: boolean;
  /** Any applying policy keeps the off-net tier. */
  readonly offNetFallback: boolean;
}

export interface CompiledUser {
  /** For a department caller: a stand-in with no id or extension, in only that department. */
  readonly user: User;
  /** False for a department calling on no employee's behalf: no employee's personal number applies. */
  readonly employee: boolean;
  readonly policy: EffectivePolicy | null;
  /** The user's departments and their ancestors, nearest first: the order personal department numbers are tried. */
  readonly departmentsNearestFirst: readonly string[];
}

export interface CompiledPersonal {
  readonly number: string;
  readonly origins: ReadonlySet<CallOrigin> | null;
}

export interface CompiledCallerIds {
  readonly priority: 'regional-first' | 'personal-first';
  readonly main: string | null;
  /** Longest prefix first; disabled numbers removed. */
  readonly regionalByPrefix: readonly { readonly prefix: string; readonly number: string }[];
  readonly regionalByCountry: ReadonlyMap<string, readonly string[]>;
  readonly personalByUser: ReadonlyMap<string, readonly CompiledPersonal[]>;
  readonly personalByDepartment: ReadonlyMap<string, readonly CompiledPersonal[]>;
  readonly disabled: ReadonlySet<string>;
}

/** Compiles validated rules (see checkRules); assumes cross-references hold. */
export function compileRules(rules: Rules): CompiledRules {
  const disabled = new Set(rules.callerIds.disabled);
  const masks: CompiledMask[] = [];
  for (const m of rules.masks) {
    const parsed = parseMask(m.mask);
    if (parsed) masks.push(Object.freeze({ mask: m.mask, trunk: m.trunk, priority: m.priority, ...parsed }));
  }
  masks.sort((a, b) => b.specificity - a.specificity || a.priority - b.priority);

  const trunks = rules.trunks.map((t) => compileTrunk(t, disabled, masks.filter((m) => m.trunk === t.id)));
  const trunkById = new Map(trunks.map((t) => [t.id, t]));
  const trunkByLine = new Map<string, CompiledTrunk>();
  for (const t of trunks) if (t.trunk.line !== null) trunkByLine.set(t.trunk.line, t);

  const departmentById = new Map(rules.departments.map((d) => [d.id, d]));
  const userById = new Map<string, CompiledUser>();
  const userByExtension = new Map<string, CompiledUser>();
  for (const user of rules.users) {
    const compiled: CompiledUser = Object.freeze({
      user,
      employee: true,
      policy: resolvePolicy(user, departmentById, trunkById),
      departmentsNearestFirst: departmentsNearestFirst(user.departments, departmentById),
    });
    userById.set(user.id, compiled);
    if (user.extension !== null) userByExtension.set(user.extension, compiled);
  }
  const departmentCallerById = new Map<string, CompiledUser>();
  for (const d of rules.departments) {
    const standIn: User = Object.freeze({ id: '', name: null, extension: null, departments: Object.freeze([d.id]) });
    departmentCallerById.set(d.id, Object.freeze({
      user: standIn,
      employee: false,
      policy: resolvePolicy(standIn, departmentById, trunkById),
      departmentsNearestFirst: departmentsNearestFirst(standIn.departments, departmentById),
    }));
  }

  return Object.freeze({
    rules,
    trunks: Object.freeze(trunks),
    trunkById,
    trunkByLine,
    userById,
    userByExtension,
    departmentCallerById,
    departmentById,
    masks: Object.freeze(masks),
    callerIds: compileCallerIds(rules, disabled),
    maxAttempts: rules.maxAttempts,
    defaultCountry: rules.defaultCountry,
    timezone: rules.timezone,
    inbound: compileInbound(rules.inbound ?? NO_INBOUND),
  });
}

function compileTrunk(trunk: Trunk, disabled: ReadonlySet<string>, masks: readonly CompiledMask[]): CompiledTrunk {
  const maskNamed = masks.length > 0;
  const parsed = parseDialTemplate(trunk.dial, trunk);
  const presentable = trunk.callerIds.filter((n) => !disabled.has(n));
  return Object.freeze({
    trunk,
    id: trunk.id,
    dial: parsed.ok ? parsed.template : [trunk.dial],
    presentable: Object.freeze(presentable),
    presentableSet: new Set(presentable),
    allNumbersDisabled: trunk.callerIds.length > 0 && presentable.length === 0,
    prefixTariffs: Object.freeze([...trunk.tariffs.byPrefix].sort((a, b) => b.prefix.length - a.prefix.length)),
    masks: Object.freeze(masks),
    maskNamed,
    universal: trunk.kind === 'sip' && trunk.carrier === null && !maskNamed,
  });
}

/** The nearest department up the tree (self included) that has a policy; null if none. */
export function policyDepartment(id: string, departments: ReadonlyMap<string, Department>): Department | null {
  const seen = new Set<string>();
  let current = departments.get(id);
  while (current && !seen.has(current.id)) {
    if (current.policy) return current;
    seen.add(current.id);
    current = current.parent === null ? undefined : departments.get(current.parent);
  }
  return null;
}

function resolvePolicy(
  user: User,
  departments: ReadonlyMap<string, Department>,
  trunkById: ReadonlyMap<string, CompiledTrunk>,
): EffectivePolicy | null {
  const sources: Department[] = [];
  for (const id of user.departments) {
    const holder = policyDepartment(id, departments);
    if (holder && !sources.includes(holder)) sources.push(holder);
  }
  if (sources.length === 0) return null;
  const trunks: string[] = [];
  const defaults = new Set<string>();
  let rotate = false;
  let offNet = false;
  for (const d of sources) {
    const p = d.policy;
    if (!p) continue;
    for (const t of p.trunks) if (!trunks.includes(t)) trunks.push(t);
    if (p.defaultTrunk !== null) defaults.add(p.defaultTrunk);
    rotate ||= p.rotateAfterManualLine;
    offNet ||= p.offNetFallback;
  }
  return Object.freeze({
    sources: Object.freeze(sources.map((d) => d.id)),
    trunks: Object.freeze(trunks),
    trunkList: Object.freeze(trunks.flatMap((id) => trunkById.get(id) ?? [])),
    trunkSet: new Set(trunks),
    defaultTrunks: defaults,
    rotateAfterManualLine: rotate,
    offNetFallback: offNet,
  });
}

/** Breadth-first up the tree: the user's own departments, then their parents, and so on. */
function departmentsNearestFirst(own: readonly string[], departments: ReadonlyMap<string, Department>): readonly string[] {
  const out: string[] = [];
  let level = [...own];
  while (level.length > 0) {
    const next: string[] = [];
    for (const id of level) {
      if (out.includes(id)) continue;
      out.push(id);
      const parent = departments.get(id)?.parent;
      if (parent != null) next.push(parent);
    }
    level = next;
  }
  return Object.freeze(out);
}

function compileCallerIds(rules: Rules, disabled: ReadonlySet<string>): CompiledCallerIds {
  const c = rules.callerIds;
  const enabled = (n: string) => !disabled.has(n);
  const regionalByPrefix = c.regional
    .filter((r) => r.prefix !== null && enabled(r.number))
    .map((r) => ({ prefix: r.prefix as string, number: r.number }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const regionalByCountry = new Map<string, string[]>();
  for (const r of c.regional) {
    if (r.country === null || !enabled(r.number)) continue;
    const list = regionalByCountry.get(r.country) ?? [];
    list.push(r.number);
    regionalByCountry.set(r.country, list);
  }
  return Object.freeze({
    priority: c.priority,
    main: c.main !== null && enabled(c.main) ? c.main : null,
    regionalByPrefix: Object.freeze(regionalByPrefix),
    regionalByCountry,
    personalByUser: groupPersonal(c.personal, 'user', enabled),
    personalByDepartment: groupPersonal(c.personal, 'department', enabled),
    disabled,
  });
}

function groupPersonal(
  entries: readonly PersonalCallerId[],
  by: 'user' | 'department',
  enabled: (n: string) => boolean,
): ReadonlyMap<string, readonly CompiledPersonal[]> {
  const map = new Map<string, CompiledPersonal[]>();
  for (const e of entries) {
    const key = e[by];
    if (key === null || !enabled(e.number)) continue;
    const list = map.get(key) ?? [];
    list.push({ number: e.number, origins: e.origins === null ? null : new Set(e.origins) });
    map.set(key, list);
  }
  return map;
}
