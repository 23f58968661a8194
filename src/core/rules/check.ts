import { ALL_DIAL_MACROS, parseDialTemplate } from '../routing/dial-string.ts';
import { checkInbound } from '../scenarios/check.ts';
import { NO_INBOUND } from '../scenarios/model.ts';
import { parseMask } from './mask.ts';
import type { Rules } from './model.ts';

/** The rules files, by the part of the rules they hold. */
export type RulesPart = 'trunks' | 'departments' | 'users' | 'masks' | 'callerIds' | 'crm' | 'routing' | 'inbound';

export interface RulesIssue {
  readonly part: RulesPart;
  /** Path inside the file, e.g. `trunks[2].carrier`. */
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface CheckOptions {
  /** Carrier keys from carriers.yaml; when given, every carrier key the rules name must be one of them. */
  readonly knownCarriers?: readonly string[];
}

/**
 * Cross-reference checks that a per-file schema cannot do: ids that must exist, duplicates,
 * whitelists and defaults that must agree, numbers nobody can present. Errors make a rule set
 * unusable; warnings are reported and the rules still load.
 */
export function checkRules(rules: Rules, options: CheckOptions = {}): RulesIssue[] {
  const issues: RulesIssue[] = [];
  const error = (part: RulesPart, path: string, message: string) => issues.push({ part, path, message, severity: 'error' });
  const warn = (part: RulesPart, path: string, message: string) => issues.push({ part, path, message, severity: 'warning' });

  const known = options.knownCarriers ? new Set(options.knownCarriers) : null;
  const knownList = options.knownCarriers ? shortList(options.knownCarriers) : '';
  const trunkIds = new Set<string>();
  const lines = new Map<string, string>();
  const disabled = new Set(rules.callerIds.disabled);

  rules.trunks.forEach((t, i) => {
    const at = `trunks[${i}]`;
    if (trunkIds.has(t.id)) error('trunks', `${at}.id`, `duplicate trunk id "${t.id}"`);
    trunkIds.add(t.id);
    if (t.line !== null) {
      const other = lines.get(t.line);
      if (other !== undefined) error('trunks', `${at}.line`, `line "${t.line}" is already trunk "${other}"'s`);
      else lines.set(t.line, t.id);
      if (t.line.toLowerCase() === 'auto') error('trunks', `${at}.line`, 'line "auto" is reserved for the "Automatic (cheapest)" choice');
    }
    if (t.carrier !== null && known && !known.has(t.carrier)) {
      error('trunks', `${at}.carrier`, `unknown carrier key "${t.carrier}" (known: ${knownList})`);
    }
    if (t.kind === 'gsm') {
      if (t.carrier === null) error('trunks', `${at}.carrier`, `GSM trunk "${t.id}" needs the carrier of its SIM`);
      if (t.callerIds.length !== 1) {
        error('trunks', `${at}.callerIds`, `GSM trunk "${t.id}" must have exactly one caller ID, its SIM's number (got ${t.callerIds.length})`);
      }
    }
    // Limits protect a SIM from its carrier's anti-spam blocking; a SIP trunk has no SIM.
    if (t.limits !== null && t.kind !== 'gsm') error('trunks', `${at}.limits`, `SIM limits apply to GSM trunks only; "${t.id}" is ${t.kind}`);
    const dial = parseDialTemplate(t.dial, t);
    if (!dial.ok && dial.unknown.length > 0) {
      error('trunks', `${at}.dial`, `unknown macro(s) ${dial.unknown.map((m) => `{${m}}`).join(', ')} in "${t.dial}" (known: ${ALL_DIAL_MACROS.map((m) => `{${m}}`).join(', ')})`);
    }
    if (!dial.ok) {
      for (const m of dial.missing) error('trunks', `${at}.${m}`, `the dial string "${t.dial}" uses {${m}} but trunk "${t.id}" has no ${m} setting`);
    }
    if (known) {
      for (const key of Object.keys(t.tariffs.byCarrier)) {
        if (!known.has(key)) error('trunks', `${at}.tariffs.byCarrier.${key}`, `unknown carrier key "${key}" (known: ${knownList})`);
      }
    }
    if (t.callerIds.length > 0 && t.callerIds.every((n) => disabled.has(n))) {
      warn('trunks', `${at}.callerIds`, `every number of trunk "${t.id}" is disabled: the trunk is never chosen`);
    }
  });

  const deptIds = new Set<string>();
  rules.departments.forEach((d, i) => {
    if (deptIds.has(d.id)) error('departments', `departments[${i}].id`, `duplicate department id "${d.id}"`);
    deptIds.add(d.id);
  });
  const parents = new Map(rules.departments.map((d) => [d.id, d.parent]));
  rules.departments.forEach((d, i) => {
    const at = `departments[${i}]`;
    if (d.parent !== null && !deptIds.has(d.parent)) error('departments', `${at}.parent`, `unknown parent department "${d.parent}"`);
    if (hasCycle(d.id, parents)) error('departments', `${at}.parent`, `department "${d.id}" is its own ancestor`);
    const p = d.policy;
    if (!p) return;
    p.trunks.forEach((t, j) => {
      if (!trunkIds.has(t)) error('departments', `${at}.trunks[${j}]`, `unknown trunk "${t}"`);
    });
    if (p.defaultTrunk !== null && !p.trunks.includes(p.defaultTrunk)) {
      error('departments', `${at}.defaultTrunk`, `default trunk "${p.defaultTrunk}" is not in the department's trunk whitelist [${p.trunks.join(', ')}]`);
    }
  });

  const userIds = new Set<string>();
  const extensions = new Map<string, string>();
  rules.users.forEach((u, i) => {
    const at = `users[${i}]`;
    if (userIds.has(u.id)) error('users', `${at}.id`, `duplicate user id "${u.id}"`);
    userIds.add(u.id);
    if (u.extension !== null) {
      const other = extensions.get(u.extension);
      if (other !== undefined) error('users', `${at}.extension`, `extension "${u.extension}" is already user "${other}"'s`);
      else extensions.set(u.extension, u.id);
    }
    u.departments.forEach((d, j) => {
      if (!deptIds.has(d)) error('users', `${at}.departments[${j}]`, `unknown department "${d}"`);
    });
  });

  rules.masks.forEach((m, i) => {
    const at = `masks[${i}]`;
    const parsed = parseMask(m.mask);
    if (!parsed) error('masks', `${at}.mask`, `"${m.mask}" is not a mask: digits and * only, optional leading +`);
    else if (parsed.pattern.length < 8 || parsed.pattern.length > 15) {
      error('masks', `${at}.mask`, `mask "${m.mask}" has ${parsed.pattern.length} positions; an E.164 number has 8 to 15 digits`);
    }
    if (!trunkIds.has(m.trunk)) error('masks', `${at}.trunk`, `unknown trunk "${m.trunk}"`);
  });

  checkCallerIds(rules, userIds, deptIds, disabled, error, warn);

  const crm = rules.crm.whitelist;
  crm.users.forEach((u, i) => {
    if (!userIds.has(u)) warn('crm', `whitelist.users[${i}]`, `user "${u}" is not in users.yaml`);
  });
  crm.departments.forEach((d, i) => {
    if (!deptIds.has(d)) warn('crm', `whitelist.departments[${i}]`, `department "${d}" is not in departments.yaml`);
  });
  for (const issue of checkInbound(rules.inbound ?? NO_INBOUND, { users: userIds, departments: deptIds })) {
    (issue.severity === 'error' ? error : warn)('inbound', issue.path, issue.message);
  }
  return issues;
}

type Report = (part: RulesPart, path: string, message: string) => void;

function checkCallerIds(
  rules: Rules,
  userIds: ReadonlySet<string>,
  deptIds: ReadonlySet<string>,
  disabled: ReadonlySet<string>,
  error: Report,
  warn: Report,
): void {
  const presentable = new Set(rules.trunks.flatMap((t) => t.callerIds));
  const check = (number: string, path: string) => {
    if (disabled.has(number)) warn('callerIds', path, `${number} is disabled: it is never presented`);
    else if (!presentable.has(number)) warn('callerIds', path, `no trunk can present ${number} (it is in no trunk's callerIds)`);
  };
  const c = rules.callerIds;
  if (c.main !== null) check(c.main, 'main');
  c.personal.forEach((p, i) => {
    const at = `personal[${i}]`;
    check(p.number, `${at}.number`);
    if (p.user !== null && !userIds.has(p.user)) error('callerIds', `${at}.user`, `unknown user "${p.user}"`);
    if (p.department !== null && !deptIds.has(p.department)) error('callerIds', `${at}.department`, `unknown department "${p.department}"`);
  });
  c.regional.forEach((r, i) => check(r.number, `regional[${i}].number`));
  c.disabled.forEach((n, i) => {
    if (!presentable.has(n) && c.main !== n && !c.personal.some((p) => p.number === n) && !c.regional.some((r) => r.number === n)) {
      warn('callerIds', `disabled[${i}]`, `${n} is disabled but no trunk or rule uses it`);
    }
  });
}

function hasCycle(start: string, parents: ReadonlyMap<string, string | null>): boolean {
  const seen = new Set<string>([start]);
  let current = parents.get(start) ?? null;
  while (current !== null) {
    if (seen.has(current)) return current === start;
    seen.add(current);
    current = parents.get(current) ?? null;
  }
  return false;
}

function shortList(keys: readonly string[]): string {
  return keys.length <= 6 ? keys.join(', ') : `${keys.slice(0, 6).join(', ')}, …`;
}
