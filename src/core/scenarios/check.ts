import type { InboundRules, Step } from './model.ts';

export interface InboundIssue {
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export interface InboundRefs {
  readonly users: ReadonlySet<string>;
  readonly departments: ReadonlySet<string>;
}

/** Cross-references of inbound.yaml: scenarios, groups, users and departments that must exist. */
export function checkInbound(rules: InboundRules, refs: InboundRefs): InboundIssue[] {
  const issues: InboundIssue[] = [];
  const error = (path: string, message: string) => issues.push({ path, message, severity: 'error' });
  const warn = (path: string, message: string) => issues.push({ path, message, severity: 'warning' });
  const scenarios = new Set<string>();
  rules.scenarios.forEach((s, i) => {
    if (scenarios.has(s.id)) error(`scenarios[${i}].id`, `duplicate scenario id "${s.id}"`);
    scenarios.add(s.id);
  });
  const groups = new Set<string>();
  rules.groups.forEach((g, i) => {
    if (groups.has(g.id)) error(`groups[${i}].id`, `duplicate group id "${g.id}"`);
    groups.add(g.id);
    g.members.forEach((m, j) => {
      if (m.user !== null && !refs.users.has(m.user)) warn(`groups[${i}].members[${j}].user`, `user "${m.user}" is not in users.yaml (the portal's directory may have them)`);
    });
  });
  if (rules.missedCallOwner != null && !refs.users.has(rules.missedCallOwner)) warn('missedCallOwner', `user "${rules.missedCallOwner}" is not in users.yaml (the portal's directory may have them)`);
  const dids = new Set<string>();
  rules.numbers.forEach((n, i) => {
    if (dids.has(n.number)) error(`numbers[${i}].number`, `${n.number} is bound twice`);
    dids.add(n.number);
    if (!scenarios.has(n.scenario)) error(`numbers[${i}].scenario`, `unknown scenario "${n.scenario}"`);
  });
  const scenario = (path: string, id: string | null) => {
    if (id !== null && !scenarios.has(id)) error(path, `unknown scenario "${id}"`);
  };
  rules.scenarios.forEach((s, i) => {
    if (s.department !== null && !refs.departments.has(s.department)) error(`scenarios[${i}].department`, `unknown department "${s.department}"`);
    if (s.crmUser != null && !refs.users.has(s.crmUser)) warn(`scenarios[${i}].crmUser`, `user "${s.crmUser}" is not in users.yaml (the portal's directory may have them)`);
    s.steps.forEach((step: Step, j) => {
      const at = `scenarios[${i}].steps[${j}]`;
      switch (step.kind) {
        case 'group':
          if (!groups.has(step.group)) error(`${at}.group`, `unknown group "${step.group}"`);
          break;
        case 'employee':
          if (!refs.users.has(step.user)) warn(`${at}.employee`, `user "${step.user}" is not in users.yaml (the portal's directory may have them)`);
          break;
        case 'external':
          if (s.department === null) error(`${at}.external`, `scenario "${s.id}" forwards outside: it needs a department (whose trunk policy the forward uses)`);
          break;
        case 'ivr':
          for (const [key, target] of Object.entries(step.keys)) scenario(`${at}.ivr.keys.${key}`, target);
          scenario(`${at}.ivr.onTimeout`, step.onTimeout);
          scenario(`${at}.ivr.onInvalid`, step.onInvalid);
          break;
        case 'time':
          scenario(`${at}.time.inside`, step.inside);
          scenario(`${at}.time.outside`, step.outside);
          if (step.ranges.length === 0) warn(`${at}.time.ranges`, 'no ranges: the time step is never inside');
          break;
        case 'goto':
          scenario(`${at}.goto`, step.scenario);
          break;
        case 'voicemail':
        case 'fax':
          if (step.user !== null && !refs.users.has(step.user)) warn(`${at}.${step.kind}.user`, `user "${step.user}" is not in users.yaml (the portal's directory may have them)`);
          break;
        case 'responsible':
          if (step.fallback !== null && 'group' in step.fallback && !groups.has(step.fallback.group)) error(`${at}.responsible.fallback.group`, `unknown group "${step.fallback.group}"`);
          if (step.fallback !== null && 'user' in step.fallback && !refs.users.has(step.fallback.user)) warn(`${at}.responsible.fallback.user`, `user "${step.fallback.user}" is not in users.yaml (the portal's directory may have them)`);
          if (step.lookupTimeout > 2500) warn(`${at}.responsible.lookupTimeout`, `${step.lookupTimeout / 1000} s: longer than the shipped dialplan's CONNECTOR_INBOUND_DEADLINE (3 s) allows with margin; the call fails open before the lookup gives up unless you raise it`);
          if (step.mobile !== 'none' && s.department === null) error(`${at}.responsible.mobile`, `scenario "${s.id}" calls the responsible's mobile: it needs a department (whose trunk policy the call uses), or mobile: none`);
          break;
        default:
          break;
      }
    });
  });
  return issues;
}
