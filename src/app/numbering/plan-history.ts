import type { Db } from '../../adapters/db/connection.ts';
import { NumberingPlanRepository, type PlanVersion } from '../../adapters/db/repositories/numbering-plan-repository.ts';

export class NothingToRollBackError extends Error {}

/** All plan versions, newest first (the active one is flagged). */
export async function planHistory(db: Db): Promise<PlanVersion[]> {
  return new NumberingPlanRepository(db).history();
}

/**
 * Activates the version imported before the active one; a second rollback goes further back.
 * Throws NothingToRollBackError (and changes nothing) when no plan is active or the active one
 * is the oldest.
 */
export async function rollbackPlan(db: Db): Promise<{ from: PlanVersion; to: PlanVersion }> {
  const result = await new NumberingPlanRepository(db).rollback();
  if (!result.from) throw new NothingToRollBackError('nothing to roll back: no numbering plan has been imported');
  if (!result.to) throw new NothingToRollBackError(`nothing to roll back: version ${result.from.id} is the oldest imported plan`);
  return { from: result.from, to: result.to };
}
