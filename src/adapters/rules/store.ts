import type { CompiledRules } from '../../core/rules/compile.ts';
import { loadRules, type LoadRulesOptions } from './load.ts';

export interface ReloadResult {
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export class RulesLoadError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`the rules do not load:\n  ${errors.join('\n  ')}`);
  }
}

/**
 * Holds the current rules. A reload builds the new compiled rules completely and then swaps one
 * reference, so a reader calling `current()` sees either the old set or the new one, never a mix.
 * An invalid reload keeps the last valid rules and says why.
 */
export class RulesStore {
  private compiled: CompiledRules;
  private loadedWarnings: readonly string[];

  private constructor(
    readonly dir: string,
    private readonly options: LoadRulesOptions,
    first: CompiledRules,
    warnings: readonly string[],
  ) {
    this.compiled = first;
    this.loadedWarnings = warnings;
  }

  /** Loads the directory; throws RulesLoadError (every error listed) if it is invalid. */
  static open(dir: string, options: LoadRulesOptions = {}): RulesStore {
    const result = loadRules(dir, options);
    if (!result.ok) throw new RulesLoadError(result.errors);
    return new RulesStore(dir, options, result.compiled, result.warnings);
  }

  current(): CompiledRules {
    return this.compiled;
  }

  /** Warnings of the rules in use. */
  warnings(): readonly string[] {
    return this.loadedWarnings;
  }

  reload(): ReloadResult {
    const result = loadRules(this.dir, this.options);
    if (!result.ok) return { ok: false, errors: result.errors, warnings: result.warnings };
    this.compiled = result.compiled;
    this.loadedWarnings = result.warnings;
    return { ok: true, errors: [], warnings: result.warnings };
  }
}
