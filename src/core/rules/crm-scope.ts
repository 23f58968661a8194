import type { CompiledRules } from './compile.ts';

/**
 * The CRM whitelist (DECISIONS §18): whose calls the connector writes to Bitrix24. A user is in
 * when their id, their extension, or one of their departments or those departments' ancestors is
 * listed. An extension nobody owns is in only when it is listed itself.
 */
export function isCrmWhitelisted(rules: CompiledRules, caller: { readonly user?: string | null; readonly extension?: string | null }): boolean {
  const w = rules.rules.crm.whitelist;
  const userId = caller.user ?? null;
  const extension = caller.extension ?? null;
  if (userId !== null && w.users.includes(userId)) return true;
  if (extension !== null && w.extensions.includes(extension)) return true;
  const user = (userId !== null ? rules.userById.get(userId) : undefined) ?? (extension !== null ? rules.userByExtension.get(extension) : undefined);
  if (!user) return false;
  if (user.user.extension !== null && w.extensions.includes(user.user.extension)) return true;
  if (w.users.includes(user.user.id)) return true;
  return user.departmentsNearestFirst.some((d) => w.departments.includes(d));
}

/** Excluded numbers (the office water delivery, the court) are never registered nor recorded. `e164` as `+7…`. */
export function isExcludedNumber(rules: CompiledRules, e164: string): boolean {
  const x = rules.rules.crm.excluded;
  if (x.numbers.includes(e164)) return true;
  const digits = e164.startsWith('+') ? e164.slice(1) : e164;
  return x.prefixes.some((p) => digits.startsWith(p));
}
