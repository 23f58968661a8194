import type { B24DirectoryRepository } from '../../adapters/db/repositories/b24-users-repository.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CrmClock } from './clock.ts';
import { SyncError } from './user-sync.ts';

/** The extra line meaning "no manual choice" (DECISIONS §7); the routing core reads `auto` as automatic. */
export const AUTO_LINE = { number: 'auto', name: 'Automatic (cheapest)' } as const;

export interface DesiredLine {
  readonly number: string;
  readonly name: string;
  readonly trunkId: string | null;
}

export interface LineSyncReport {
  readonly added: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
  /** Lines on the portal this connector did not create: never touched (DECISIONS §22). */
  readonly foreign: readonly string[];
}

/** The lines to publish: every enabled trunk with a `line` that some department may use, plus "Automatic". */
export function desiredLines(rules: CompiledRules): DesiredLine[] {
  const used = new Set<string>();
  for (const d of rules.rules.departments) for (const t of d.policy?.trunks ?? []) used.add(t);
  const out: DesiredLine[] = [{ number: AUTO_LINE.number, name: AUTO_LINE.name, trunkId: null }];
  for (const t of rules.trunks) {
    if (t.trunk.line !== null && t.trunk.enabled && used.has(t.id) && t.trunk.line !== AUTO_LINE.number) {
      out.push({ number: t.trunk.line, name: t.trunk.name, trunkId: t.id });
    }
  }
  return out;
}

/**
 * Makes the portal's external lines match the rules: adds missing lines, renames changed ones,
 * deletes lines that left the rules — but only lines this connector created. A line some user
 * has as default outgoing line cannot be read through REST, so lines created by anyone else are
 * never deleted or changed (DECISIONS §22).
 */
export async function syncLines(gateway: B24Gateway, repo: B24DirectoryRepository, rules: CompiledRules, clock: CrmClock): Promise<LineSyncReport> {
  const current = await gateway.call('telephony.externalLine.get', {});
  if (!current.ok) throw new SyncError(`telephony.externalLine.get: ${describeFailure(current.error)}`);
  const onPortal = new Map<string, string>();
  for (const row of Array.isArray(current.result) ? (current.result as Record<string, unknown>[]) : []) {
    const number = typeof row.NUMBER === 'string' || typeof row.NUMBER === 'number' ? String(row.NUMBER) : '';
    if (number) onPortal.set(number, typeof row.NAME === 'string' ? row.NAME : '');
  }
  const ours = new Map((await repo.publishedLines()).map((l) => [l.number, l]));
  const desired = desiredLines(rules);
  const wanted = new Set(desired.map((l) => l.number));
  const crmAutoCreate = rules.rules.crm.createLeads ? 'Y' : 'N';
  const added: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const foreign: string[] = [];

  for (const line of desired) {
    const name = onPortal.get(line.number);
    if (name === undefined) {
      const r = await gateway.call('telephony.externalLine.add', { NUMBER: line.number, NAME: line.name, CRM_AUTO_CREATE: crmAutoCreate });
      if (!r.ok) throw new SyncError(`telephony.externalLine.add ${line.number}: ${describeFailure(r.error)}`);
      await repo.savePublishedLine(line, clock.now());
      added.push(line.number);
    } else if (!ours.has(line.number)) {
      foreign.push(line.number);
    } else if (name !== line.name) {
      const r = await gateway.call('telephony.externalLine.update', { NUMBER: line.number, NAME: line.name });
      if (!r.ok) throw new SyncError(`telephony.externalLine.update ${line.number}: ${describeFailure(r.error)}`);
      await repo.savePublishedLine(line, clock.now());
      updated.push(line.number);
    }
  }
  for (const number of onPortal.keys()) {
    if (wanted.has(number)) continue;
    if (!ours.has(number)) {
      foreign.push(number);
      continue;
    }
    const r = await gateway.call('telephony.externalLine.delete', { NUMBER: number });
    if (!r.ok) throw new SyncError(`telephony.externalLine.delete ${number}: ${describeFailure(r.error)}`);
    await repo.forgetPublishedLine(number);
    deleted.push(number);
  }
  for (const number of ours.keys()) if (!onPortal.has(number) && !wanted.has(number)) await repo.forgetPublishedLine(number);
  return { added, updated, deleted, foreign };
}
