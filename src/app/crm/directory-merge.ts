import type { Directory } from '../../adapters/db/repositories/b24-users-repository.ts';
import type { Department, Rules, User } from '../../core/rules/model.ts';

/**
 * The users and departments the routing core sees: the Bitrix24 directory (user.get,
 * department.get) with the rules' own users and departments on top. A rules entry replaces the
 * synced one with the same id; a rules department without a parent keeps Bitrix24's nesting; a
 * synced user whose extension a rules user claims loses that extension (one owner per extension).
 */
export function mergeDirectory(rules: Rules, directory: Directory): Rules {
  const ruleUserIds = new Set(rules.users.map((u) => u.id));
  const ruleExtensions = new Set(rules.users.map((u) => u.extension).filter((e): e is string => e !== null));
  const syncedUsers: User[] = directory.users
    .filter((u) => u.active && !ruleUserIds.has(u.id))
    .map((u) => ({
      id: u.id,
      name: u.name,
      extension: u.extension !== null && !ruleExtensions.has(u.extension) ? u.extension : null,
      departments: [...u.departments],
    }));

  const syncedDepartments = new Map(directory.departments.map((d) => [d.id, d]));
  const departments: Department[] = [];
  const ruleDepartmentIds = new Set(rules.departments.map((d) => d.id));
  for (const d of directory.departments) {
    if (!ruleDepartmentIds.has(d.id)) departments.push({ id: d.id, name: d.name, parent: d.parent, policy: null });
  }
  for (const d of rules.departments) {
    const synced = syncedDepartments.get(d.id);
    departments.push({ ...d, parent: d.parent ?? synced?.parent ?? null });
  }
  return { ...rules, users: [...rules.users, ...syncedUsers], departments };
}
