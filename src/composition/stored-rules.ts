import path from 'node:path';
import type { Client } from 'pg';
import { isSqlite, type Db } from '../adapters/db/connection.ts';
import { RULES_CHANNEL, RulesVersionsRepository, type RulesVersion } from '../adapters/db/repositories/rules-versions-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import { readCarrierKeys } from '../adapters/rules/carrier-keys.ts';
import { loadRules, loadRulesFromTexts, readRulesFiles, type LoadRulesResult } from '../adapters/rules/load.ts';
import { RulesLoadError } from '../adapters/rules/store.ts';
import type { CompiledRules } from '../core/rules/compile.ts';

export type ImportResult =
  | { readonly ok: true; readonly version: number; readonly changed: boolean; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[]; readonly warnings: readonly string[] };

export interface LoadedVersion {
  readonly version: number;
  readonly compiled: CompiledRules;
  readonly warnings: readonly string[];
}

/**
 * Rules live in the database as numbered versions; the YAML directory is how a set gets in and
 * out (import, export) and what `route check-rules` reads. A set is validated exactly as a
 * directory is before it is stored (errors name file, path and value); an invalid set is refused
 * and the newest valid one stays in use. Carrier keys are checked against RULES_DIR/carriers.yaml.
 */
export class StoredRules {
  readonly versions: RulesVersionsRepository;

  constructor(db: Db, private readonly o: { readonly rulesDir: string; readonly defaultCountry?: string }) {
    this.versions = new RulesVersionsRepository(db);
  }

  /** Validates a directory and stores it as the next version, unless it equals the newest one. */
  async importDir(dir: string): Promise<ImportResult> {
    const checked = loadRules(dir, { defaultCountry: this.o.defaultCountry });
    if (!checked.ok) return checked;
    const files = readRulesFiles(dir);
    const newest = await this.versions.newest();
    if (newest && sameFiles(newest.files, files)) return { ok: true, version: newest.version, changed: false, warnings: checked.warnings };
    const version = await this.versions.add(files, path.resolve(dir), Date.now());
    return { ok: true, version, changed: true, warnings: checked.warnings };
  }

  /**
   * Validates a set of texts (an edit in the console) with the checks of a directory import and
   * stores it as the next version, unless it equals the newest one.
   */
  async importFiles(files: Readonly<Record<string, string>>, source: string): Promise<ImportResult> {
    const checked = this.checkFiles(files, source);
    if (!checked.ok) return checked;
    const newest = await this.versions.newest();
    if (newest && sameFiles(newest.files, files)) return { ok: true, version: newest.version, changed: false, warnings: checked.warnings };
    const version = await this.versions.add(files, source, Date.now());
    return { ok: true, version, changed: true, warnings: checked.warnings };
  }

  /** Stores an older version again as the newest (history stays append-only). */
  async rollback(to: number): Promise<ImportResult> {
    const old = await this.versions.get(to);
    if (!old) return { ok: false, errors: [`there is no rules version ${to}`], warnings: [] };
    const checked = this.compile(old);
    if (!checked.ok) return checked;
    const version = await this.versions.add(old.files, `rollback to v${to}`, Date.now());
    return { ok: true, version, changed: true, warnings: checked.warnings };
  }

  /** The newest version, compiled; at first start (no version yet) RULES_DIR is imported as version 1. */
  async newest(): Promise<LoadedVersion> {
    let newest = await this.versions.newest();
    if (!newest) {
      // Instances starting together may race for version 1: the loser reads the winner's.
      const imported = await this.importDir(this.o.rulesDir).catch(async (err: unknown) => {
        if ((await this.versions.newestVersion()) === null) throw err;
        return null;
      });
      if (imported && !imported.ok) throw new RulesLoadError(imported.errors);
      newest = await this.versions.newest();
      if (!newest) throw new Error('the imported rules version is not readable');
    }
    const result = this.compile(newest);
    if (!result.ok) throw new RulesLoadError(result.errors);
    return { version: newest.version, compiled: result.compiled, warnings: result.warnings };
  }

  compile(v: RulesVersion): LoadRulesResult {
    return this.checkFiles(v.files, `rules v${v.version}`);
  }

  /** The checks of `route check-rules` on texts; `label` names the set in the messages. */
  checkFiles(files: Readonly<Record<string, string>>, label: string): LoadRulesResult {
    const warnings: string[] = [];
    const knownCarriers = readCarrierKeys(this.o.rulesDir, warnings);
    const result = loadRulesFromTexts(label, files, { defaultCountry: this.o.defaultCountry, ...(knownCarriers ? { knownCarriers } : {}) });
    return { ...result, warnings: [...warnings, ...result.warnings] };
  }
}

function sameFiles(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => a[k] === b[k]);
}

/**
 * Calls `check` when the rules may have changed: at once on PostgreSQL (LISTEN on its own
 * connection, outside the pool), and every `pollMs` on both databases (SQLite has no NOTIFY; on
 * PostgreSQL it covers a notification lost while the listening connection was down).
 */
export async function watchRules(o: {
  readonly db: Db;
  readonly databaseUrl: string;
  readonly pollMs: number;
  readonly check: () => Promise<void>;
  readonly logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  let running: Promise<void> = Promise.resolve();
  const check = (): void => {
    running = running.then(o.check).catch((err: unknown) => o.logger.warn({ err }, 'rules: looking for a new version failed'));
  };
  const timer = setInterval(check, o.pollMs);
  timer.unref();
  let client: Client | null = null;
  if (!isSqlite(o.db)) {
    // Loaded here: a SQLite start (and every CLI command) does not pay for the PostgreSQL driver.
    const { default: pg } = await import('pg');
    client = new pg.Client({ connectionString: o.databaseUrl });
    client.on('notification', check);
    // A broken listening connection is not fatal: the poll still finds new versions.
    client.on('error', (err) => o.logger.warn({ err }, 'rules: the LISTEN connection failed; polling only'));
    try {
      await client.connect();
      await client.query(`LISTEN ${RULES_CHANNEL}`);
    } catch (err) {
      o.logger.warn({ err }, 'rules: LISTEN failed; polling only');
    }
  }
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await client?.end().catch(() => undefined);
    },
  };
}
