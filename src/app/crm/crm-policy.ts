import type { CompiledRules } from '../../core/rules/compile.ts';

/** Who a call belongs to, as far as the CRM whitelist is concerned. */
export interface CallOwner {
  readonly userId: string | null;
  readonly extension: string | null;
}

function digits(n: string): string {
  return n.replace(/\D/g, '');
}

/** Excluded numbers and prefixes (crm.yaml) are never written to Bitrix24 (DECISIONS §18). */
export function isExcludedNumber(rules: CompiledRules, number: string): boolean {
  const d = digits(number);
  if (d === '') return false;
  const { numbers, prefixes } = rules.rules.crm.excluded;
  return numbers.some((n) => digits(n) === d) || prefixes.some((p) => digits(p) !== '' && d.startsWith(digits(p)));
}

/** The department and every ancestor (a whitelisted department covers its sub-departments). */
function withAncestors(rules: CompiledRules, ids: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    let current: string | null | undefined = id;
    while (current != null && !out.has(current)) {
      out.add(current);
      current = rules.departmentById.get(current)?.parent;
    }
  }
  return out;
}

/**
 * The CRM whitelist (DECISIONS §18): the user, their extension, or one of their departments (or
 * a department above it) is listed in crm.yaml. Users and departments come from the rules merged
 * with the Bitrix24 directory.
 */
export function isCrmWhitelisted(rules: CompiledRules, owner: CallOwner): boolean {
  const wl = rules.rules.crm.whitelist;
  const user = (owner.userId !== null ? rules.userById.get(owner.userId) : undefined) ?? (owner.extension !== null ? rules.userByExtension.get(owner.extension) : undefined);
  const userId = owner.userId ?? user?.user.id ?? null;
  const extension = owner.extension ?? user?.user.extension ?? null;
  if (userId !== null && wl.users.includes(userId)) return true;
  if (extension !== null && wl.extensions.includes(extension)) return true;
  if (wl.departments.length === 0 || !user) return false;
  const departments = withAncestors(rules, user.user.departments);
  return wl.departments.some((d) => departments.has(d));
}

/** The user id Bitrix24 knows this caller by (USER_ID), when the directory has it. */
export function portalUserId(rules: CompiledRules, owner: CallOwner): string | null {
  if (owner.userId !== null) return owner.userId;
  if (owner.extension !== null) return rules.userByExtension.get(owner.extension)?.user.id ?? null;
  return null;
}
