import type { Directory } from '../adapters/db/repositories/b24-users-repository.ts';
import type { ReloadResult, RulesStore } from '../adapters/rules/store.ts';
import { mergeDirectory } from '../app/crm/directory-merge.ts';
import { compileRules, type CompiledRules } from '../core/rules/compile.ts';

/**
 * The rules every part routes with: rules/*.yaml merged with the Bitrix24 directory (users and
 * departments synced by user.get). Rebuilt whole and swapped in one assignment when either
 * side changes, so a reader never sees a half-merged set.
 */
export class EffectiveRules {
  private compiled: CompiledRules;
  private directory: Directory = { users: [], departments: [] };

  constructor(private readonly store: RulesStore) {
    this.compiled = store.current();
  }

  current(): CompiledRules {
    return this.compiled;
  }

  /** A new directory from a user sync. */
  setDirectory(directory: Directory): void {
    this.directory = directory;
    this.rebuild();
  }

  /** Reloads rules/*.yaml; an invalid set keeps the last valid rules and reports why. */
  reload(): ReloadResult {
    const result = this.store.reload();
    if (result.ok) this.rebuild();
    return result;
  }

  private rebuild(): void {
    const base = this.store.current();
    this.compiled = this.directory.users.length === 0 && this.directory.departments.length === 0
      ? base
      : compileRules(mergeDirectory(base.rules, this.directory));
  }
}
