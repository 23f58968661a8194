import type { CompiledRules, CompiledPersonal, CompiledUser } from '../rules/compile.ts';
import type { CallOrigin } from '../rules/model.ts';

/** The caller-ID rule kinds of seed 003, as chain levels. */
export type CallerIdLevel = 'regional-prefix' | 'regional-country' | 'personal-user' | 'personal-department' | 'main';

/**
 * One number the chain offers, in priority order. `key` is the prefix, country or department
 * that made it apply (kept as a reference, so the hot path builds no strings).
 */
export interface CallerIdCandidate {
  readonly number: string;
  readonly level: CallerIdLevel;
  readonly key: string | null;
}

export interface CallerIdContext {
  readonly digits: string;
  readonly country: string;
  readonly origin: CallOrigin;
  readonly user: CompiledUser;
}

/**
 * The caller-ID priority chain for one call (DECISIONS §12), before any trunk is considered:
 * default regional-by-prefix (longest first) → regional-by-country → personal employee →
 * personal department (nearest first) → main; `personal-first` puts both personal levels first.
 * Disabled numbers were removed at compile time, so they can never come out of here.
 */
export function callerIdCandidates(rules: CompiledRules, ctx: CallerIdContext): CallerIdCandidate[] {
  const c = rules.callerIds;
  const chain: CallerIdCandidate[] = [];
  if (c.priority === 'personal-first') {
    pushAllPersonal(chain, rules, ctx);
    pushRegional(chain, rules, ctx);
  } else {
    pushRegional(chain, rules, ctx);
    pushAllPersonal(chain, rules, ctx);
  }
  if (c.main !== null) chain.push({ number: c.main, level: 'main', key: null });
  return chain;
}

function pushRegional(out: CallerIdCandidate[], rules: CompiledRules, ctx: CallerIdContext): void {
  const c = rules.callerIds;
  for (const r of c.regionalByPrefix) {
    if (ctx.digits.startsWith(r.prefix)) out.push({ number: r.number, level: 'regional-prefix', key: r.prefix });
  }
  const byCountry = c.regionalByCountry.get(ctx.country);
  if (byCountry) for (const n of byCountry) out.push({ number: n, level: 'regional-country', key: ctx.country });
}

function pushAllPersonal(out: CallerIdCandidate[], rules: CompiledRules, ctx: CallerIdContext): void {
  const c = rules.callerIds;
  if (ctx.user.employee) pushPersonal(out, c.personalByUser.get(ctx.user.user.id), ctx.origin, 'personal-user', ctx.user.user.id);
  for (const dept of ctx.user.departmentsNearestFirst) {
    pushPersonal(out, c.personalByDepartment.get(dept), ctx.origin, 'personal-department', dept);
  }
}

function pushPersonal(
  out: CallerIdCandidate[],
  entries: readonly CompiledPersonal[] | undefined,
  origin: CallOrigin,
  level: CallerIdLevel,
  key: string,
): void {
  if (!entries) return;
  for (const e of entries) if (e.origins === null || e.origins.has(origin)) out.push({ number: e.number, level, key });
}
