import type { LeadHold } from '../../../core/pacing/choose-lead.ts';
import type { CustomerOutcome } from '../../../core/pacing/outcome.ts';
import type { LeadNext } from '../../../core/pacing/retry-plan.ts';
import type { DialMode } from '../../../core/pacing/settings.ts';
import type { DialerAttempt, Lead, LeadStatus, NewLead } from '../../../app/dialer/model.ts';
import type { EndedAttempt, LeadStore, StartedAttempt } from '../../../app/dialer/ports.ts';
import type { Db } from '../connection.ts';

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';

interface LeadRow {
  id: unknown; campaign_id: string; number: string; digits: string; entity_type: string | null; entity_id: string | null; title: string | null;
  status: string; next_at: unknown; attempts: unknown; last_outcome: string | null; reserve_operator: unknown; note: string | null;
}
export interface AttemptRow {
  lead_id: unknown; campaign_id: string; operator_id: string | null; call_id: string; mode: string; started_at: unknown;
  answered_at: unknown; ended_at: unknown; outcome: string | null;
}

/** Leads and their customer calls (same SQL on SQLite and PostgreSQL). */
export class DialerLeadsRepository implements LeadStore {
  constructor(protected readonly db: Db) {}

  async addLeads(campaignId: string, leads: readonly NewLead[], at: number): Promise<{ added: number; duplicates: number }> {
    let added = 0;
    for (let i = 0; i < leads.length; i += 100) {
      const chunk = leads.slice(i, i + 100).map((l) => ({
        campaign_id: campaignId, number: l.number, digits: l.digits, entity_type: l.entityType, entity_id: l.entityId, title: l.title,
        status: 'pending', next_at: at, attempts: 0, reserve_operator: false,
      }));
      const inserted = await this.db('dialer_leads').insert(chunk).onConflict(['campaign_id', 'digits']).ignore().returning('id') as unknown[];
      added += inserted.length;
    }
    return { added, duplicates: leads.length - added };
  }

  async dueLeads(campaignId: string, now: number, limit: number): Promise<Lead[]> {
    const rows = await this.db<LeadRow>('dialer_leads')
      .where({ campaign_id: campaignId, status: 'pending' })
      .andWhere('next_at', '<=', now)
      .orderBy([{ column: 'reserve_operator', order: 'desc' }, { column: 'attempts', order: 'desc' }, { column: 'next_at', order: 'asc' }, { column: 'id', order: 'asc' }])
      .limit(limit);
    return rows.map(leadOf);
  }

  async attemptStarts(leadIds: readonly string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (leadIds.length === 0) return out;
    const rows = await this.db('dialer_attempts').select('lead_id', 'started_at').whereIn('lead_id', leadIds.map(Number)) as { lead_id: unknown; started_at: unknown }[];
    for (const r of rows) {
      const id = String(r.lead_id);
      out.set(id, [...(out.get(id) ?? []), num(r.started_at)]);
    }
    return out;
  }

  async applyHolds(holds: readonly LeadHold[]): Promise<void> {
    if (holds.length === 0) return;
    await this.db.transaction(async (trx) => {
      for (const h of holds) {
        if (h.kind === 'later') await trx('dialer_leads').where('id', Number(h.leadId)).where('status', 'pending').update({ next_at: h.until, note: h.reason });
        else await trx('dialer_leads').where('id', Number(h.leadId)).where('status', 'pending').update({ status: 'blocked', note: h.reason });
      }
    });
  }

  async startAttempt(a: StartedAttempt): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('dialer_leads').where('id', Number(a.leadId)).update({ status: 'calling', note: null });
      await trx('dialer_attempts').insert({
        lead_id: Number(a.leadId), campaign_id: a.campaignId, operator_id: a.operatorId, call_id: a.callId, mode: a.mode, started_at: a.startedAt,
      });
    });
  }

  async markAnswered(callId: string, at: number): Promise<void> {
    await this.db('dialer_attempts').where('call_id', callId).whereNull('answered_at').update({ answered_at: at });
  }

  async endAttempt(callId: string, end: EndedAttempt, next: (lead: Lead) => LeadNext): Promise<{ attempt: DialerAttempt; lead: Lead } | null> {
    return this.db.transaction(async (trx) => {
      const closed = await trx('dialer_attempts').where('call_id', callId).whereNull('ended_at')
        .update({ ended_at: end.endedAt, outcome: end.outcome, dial_status: end.dialStatus, hangup_cause: end.hangupCause });
      if (closed === 0) return null;
      const a = await trx<AttemptRow>('dialer_attempts').where('call_id', callId).first();
      if (!a) return null;
      const row = await trx<LeadRow>('dialer_leads').where('id', num(a.lead_id)).first();
      if (!row) return null;
      const counted = { ...leadOf(row), attempts: num(row.attempts) + 1, lastOutcome: end.outcome };
      const n = next(counted);
      const update = n.kind === 'done'
        ? { status: 'done', attempts: counted.attempts, last_outcome: end.outcome, reserve_operator: false, note: n.reason }
        : { status: 'pending', attempts: counted.attempts, last_outcome: end.outcome, reserve_operator: n.reserveOperator, next_at: n.at, note: null };
      await trx('dialer_leads').where('id', num(a.lead_id)).update(update);
      const lead = leadOf({ ...row, ...update });
      return { attempt: attemptOf(a), lead };
    });
  }

  async openAttempts(): Promise<DialerAttempt[]> {
    return (await this.db<AttemptRow>('dialer_attempts').whereNull('ended_at')).map(attemptOf);
  }

  async getAttempt(callId: string): Promise<DialerAttempt | null> {
    const a = await this.db<AttemptRow>('dialer_attempts').where('call_id', callId).first();
    return a ? attemptOf(a) : null;
  }

  async getLead(id: string): Promise<Lead | null> {
    const row = await this.db<LeadRow>('dialer_leads').where('id', Number(id)).first();
    return row ? leadOf(row) : null;
  }

  async listLeads(campaignId: string, limit: number): Promise<Lead[]> {
    return (await this.db<LeadRow>('dialer_leads').where('campaign_id', campaignId).orderBy('id', 'asc').limit(limit)).map(leadOf);
  }
}

function leadOf(r: LeadRow): Lead {
  return {
    id: String(r.id), campaignId: r.campaign_id, number: r.number, digits: r.digits, entityType: r.entity_type, entityId: r.entity_id, title: r.title,
    status: r.status as LeadStatus, nextAt: num(r.next_at), attempts: num(r.attempts), lastOutcome: r.last_outcome as CustomerOutcome | null,
    reserveOperator: bool(r.reserve_operator), note: r.note,
  };
}

export function attemptOf(a: AttemptRow): DialerAttempt {
  return {
    leadId: String(a.lead_id), campaignId: a.campaign_id, operatorId: a.operator_id, callId: a.call_id, mode: a.mode as DialMode,
    startedAt: num(a.started_at), answeredAt: a.answered_at === null ? null : num(a.answered_at), endedAt: a.ended_at === null ? null : num(a.ended_at),
    outcome: a.outcome as CustomerOutcome | null,
  };
}
