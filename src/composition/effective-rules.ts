import type { Directory } from '../adapters/db/repositories/b24-users-repository.ts';
import { mergeDirectory } from '../app/crm/directory-merge.ts';
import { compileRules, type CompiledRules } from '../core/rules/compile.ts';

/**
 * The rules every part routes with: the rules version in use merged with the Bitrix24 directory
 * (users and departments synced by user.get). Rebuilt whole and swapped in one assignment when
 * either side changes, so a reader never sees a half-merged set.
 */
export class EffectiveRules {
  private compiled: CompiledRules;
  private directory: Directory = { users: [], departments: [] };

  constructor(private base: CompiledRules, private inUse: number) {
    this.compiled = base;
  }

  current(): CompiledRules {
    return this.compiled;
  }

  /** The stored rules version in use. */
  get version(): number {
    return this.inUse;
  }

  /** A new directory from a user sync. */
  setDirectory(directory: Directory): void {
    this.directory = directory;
    this.rebuild();
  }

  /** A new rules version (already validated). */
  setRules(compiled: CompiledRules, version: number): void {
    this.base = compiled;
    this.inUse = version;
    this.rebuild();
  }

  private rebuild(): void {
    this.compiled = this.directory.users.length === 0 && this.directory.departments.length === 0
      ? this.base
      : compileRules(mergeDirectory(this.base.rules, this.directory));
  }
}
