import type { Knex } from 'knex';
import type { Db } from '../connection.ts';

/** What `portal reset` removes (or, before it is confirmed, would remove). */
export interface PortalResetReport {
  readonly pin: { readonly memberId: string; readonly host: string } | null;
  readonly portal: { readonly memberId: string; readonly domain: string } | null;
  readonly users: number;
  readonly departments: number;
  readonly lines: number;
  /** CRM writes still queued for that portal: parked (kept, never sent to the next portal). */
  readonly queuedWrites: number;
}

export const PORTAL_RESET_REASON = 'portal reset: written for the previous portal, not sent';

async function count(q: Knex.QueryBuilder): Promise<number> {
  const row = (await q.count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}

async function survey(db: Db | Knex.Transaction): Promise<PortalResetReport> {
  const pin = await db('b24_portal_pin').where({ id: 1 }).first<{ member_id: string; host: string } | undefined>();
  const portal = await db('b24_portal').orderBy('installed_at', 'desc').first<{ member_id: string; domain: string } | undefined>();
  return {
    pin: pin ? { memberId: pin.member_id, host: pin.host } : null,
    portal: portal ? { memberId: portal.member_id, domain: portal.domain } : null,
    users: await count(db('b24_users')),
    departments: await count(db('b24_departments')),
    lines: await count(db('b24_lines')),
    queuedWrites: await count(db('crm_outbox').where({ state: 'pending' })),
  };
}

/** What a reset would remove, changing nothing. */
export function previewPortalReset(db: Db): Promise<PortalResetReport> {
  return survey(db);
}

/**
 * Lets go of the installed portal so that another one can be installed: the pin, the tokens, the
 * directory and published lines synced from it; its queued CRM writes are parked, not deleted.
 */
export async function resetPortal(db: Db, now: number): Promise<PortalResetReport> {
  return db.transaction(async (trx) => {
    const report = await survey(trx);
    await trx('b24_portal_pin').delete();
    await trx('b24_portal').delete();
    await trx('b24_users').delete();
    await trx('b24_departments').delete();
    await trx('b24_lines').delete();
    await trx('crm_outbox').where({ state: 'pending' }).update({ state: 'parked', last_error: PORTAL_RESET_REASON, updated_at: now });
    return report;
  });
}
