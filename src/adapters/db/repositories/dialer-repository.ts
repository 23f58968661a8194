import type { DncEntry } from '../../../core/pacing/dnc.ts';
import type { PacingSettings } from '../../../core/pacing/settings.ts';
import type { Campaign, CampaignProgress, DialerAttempt, CampaignSource, CampaignStatus, LeadStatus, Operator } from '../../../app/dialer/model.ts';
import type { DialerStore } from '../../../app/dialer/ports.ts';
import { attemptOf, DialerLeadsRepository, type AttemptRow } from './dialer-leads-repository.ts';
import type { CustomerOutcome } from '../../../core/pacing/outcome.ts';
import type { Db } from '../connection.ts';

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

interface CampaignRow {
  id: string; name: string; status: string; department: string; settings: string; source: string | null; created_at: unknown;
}
interface OperatorRow {
  id: string; name: string | null; dial: string; state_device: string; online: unknown; call_id: string | null; offline_reason: string | null;
}

/** The dialer's store: campaigns, operators and the do-not-call list here, leads and calls in the base class. */
export class DialerRepository extends DialerLeadsRepository implements DialerStore {
  constructor(db: Db) {
    super(db);
  }

  async listCampaigns(status?: CampaignStatus): Promise<Campaign[]> {
    const q = this.db<CampaignRow>('dialer_campaigns').select('*').orderBy('created_at', 'asc');
    if (status) void q.where('status', status);
    const rows = await q;
    const teams = await this.teams(rows.map((r) => r.id));
    return rows.map((r) => campaignOf(r, teams.get(r.id) ?? []));
  }

  async getCampaign(id: string): Promise<Campaign | null> {
    const row = await this.db<CampaignRow>('dialer_campaigns').where('id', id).first();
    if (!row) return null;
    return campaignOf(row, (await this.teams([id])).get(id) ?? []);
  }

  async saveCampaign(c: Campaign): Promise<void> {
    const row = {
      id: c.id, name: c.name, status: c.status, department: c.department, settings: JSON.stringify(c.settings),
      source: c.source === null ? null : JSON.stringify(c.source), created_at: c.createdAt, updated_at: c.createdAt,
    };
    await this.db.transaction(async (trx) => {
      await trx('dialer_campaigns').insert(row).onConflict('id').merge(['name', 'status', 'department', 'settings', 'source', 'updated_at']);
      await trx('dialer_campaign_operators').where('campaign_id', c.id).delete();
      if (c.operators.length > 0) await trx('dialer_campaign_operators').insert(c.operators.map((o) => ({ campaign_id: c.id, operator_id: o })));
    });
  }

  async setStatus(id: string, status: CampaignStatus, at: number): Promise<boolean> {
    return (await this.db('dialer_campaigns').where('id', id).update({ status, updated_at: at })) > 0;
  }

  async progress(id: string): Promise<CampaignProgress> {
    const leads: Record<LeadStatus, number> = { pending: 0, calling: 0, done: 0, blocked: 0 };
    const byStatus = await this.db('dialer_leads').select('status').count({ n: '*' }).where('campaign_id', id).groupBy('status') as { status: LeadStatus; n: unknown }[];
    for (const r of byStatus) leads[r.status] = num(r.n);
    const outcomes: Partial<Record<CustomerOutcome, number>> = {};
    let attempts = 0;
    const byOutcome = await this.db('dialer_attempts').select('outcome').count({ n: '*' }).where('campaign_id', id).groupBy('outcome') as { outcome: CustomerOutcome | null; n: unknown }[];
    for (const r of byOutcome) {
      attempts += num(r.n);
      if (r.outcome !== null) outcomes[r.outcome] = num(r.n);
    }
    return { leads, outcomes, attempts };
  }

  async listOperators(ids?: readonly string[]): Promise<Operator[]> {
    const q = this.db<OperatorRow>('dialer_operators').select('*').orderBy('id', 'asc');
    if (ids) void q.whereIn('id', [...ids]);
    return (await q).map(operatorOf);
  }

  async saveOperator(op: Pick<Operator, 'id' | 'name' | 'dial' | 'stateDevice'>, at: number): Promise<void> {
    await this.db('dialer_operators')
      .insert({ id: op.id, name: op.name, dial: op.dial, state_device: op.stateDevice, online: false, updated_at: at })
      .onConflict('id').merge(['name', 'dial', 'state_device', 'updated_at']);
  }

  async setOnline(id: string, online: boolean, reason: string | null, at: number): Promise<boolean> {
    return (await this.db('dialer_operators').where('id', id).update({ online, offline_reason: online ? null : reason, updated_at: at })) > 0;
  }

  async abandonCounts(campaignId: string, since: number): Promise<{ readonly answered: number; readonly abandoned: number; readonly machines: number }> {
    const rows = await this.db('dialer_attempts')
      .select(this.db.raw('count(answered_at) as answered'))
      .select(this.db.raw("sum(case when outcome = 'abandoned' then 1 else 0 end) as abandoned"))
      .select(this.db.raw("sum(case when outcome = 'machine' then 1 else 0 end) as machines"))
      .where('campaign_id', campaignId).where('started_at', '>=', since) as { answered: unknown; abandoned: unknown; machines: unknown }[];
    const r = rows[0];
    return { answered: num(r?.answered ?? 0), abandoned: num(r?.abandoned ?? 0), machines: num(r?.machines ?? 0) };
  }

  async recentEndedAttempts(campaignId: string, limit: number, outcome?: CustomerOutcome): Promise<DialerAttempt[]> {
    // Served by the (campaign_id, started_at) index, read backwards.
    const q = this.db<AttemptRow>('dialer_attempts').where('campaign_id', campaignId).where('mode', 'progressive').whereNotNull('ended_at')
      .orderBy([{ column: 'started_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit);
    if (outcome) void q.where('outcome', outcome);
    return (await q).map(attemptOf);
  }

  async setAttemptOperator(callId: string, operatorId: string): Promise<void> {
    await this.db('dialer_attempts').where('call_id', callId).update({ operator_id: operatorId });
  }

  async hold(id: string, callId: string, at: number): Promise<boolean> {
    return (await this.db('dialer_operators').where('id', id).where('online', true).whereNull('call_id').update({ call_id: callId, updated_at: at })) > 0;
  }

  async release(id: string, callId: string, at: number): Promise<void> {
    await this.db('dialer_operators').where('id', id).where('call_id', callId).update({ call_id: null, updated_at: at });
  }

  async listDnc(): Promise<DncEntry[]> {
    const rows = await this.db('dialer_dnc').select('digits', 'kind').orderBy('digits', 'asc') as { digits: string; kind: DncEntry['kind'] }[];
    return rows.map((r) => ({ digits: r.digits, kind: r.kind }));
  }

  async addDnc(entries: readonly (DncEntry & { readonly note?: string | null })[], at: number): Promise<number> {
    let added = 0;
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for (let i = 0; i < entries.length; i += 200) {
      const chunk = entries.slice(i, i + 200).map((e) => ({ digits: e.digits, kind: e.kind, note: e.note ?? null, created_at: at }));
      const inserted = await this.db('dialer_dnc').insert(chunk).onConflict(['digits', 'kind']).ignore().returning('digits') as unknown[];
      added += inserted.length;
    }
    return added;
  }

  async removeDnc(entry: DncEntry): Promise<boolean> {
    return (await this.db('dialer_dnc').where({ digits: entry.digits, kind: entry.kind }).delete()) > 0;
  }

  private async teams(ids: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (ids.length === 0) return out;
    const rows = await this.db('dialer_campaign_operators').select('campaign_id', 'operator_id').whereIn('campaign_id', [...ids]).orderBy('operator_id') as { campaign_id: string; operator_id: string }[];
    for (const r of rows) out.set(r.campaign_id, [...(out.get(r.campaign_id) ?? []), r.operator_id]);
    return out;
  }
}

function campaignOf(r: CampaignRow, operators: readonly string[]): Campaign {
  return {
    id: r.id,
    name: r.name,
    status: r.status as CampaignStatus,
    department: r.department,
    operators,
    settings: JSON.parse(r.settings) as PacingSettings,
    source: r.source === null ? null : JSON.parse(r.source) as CampaignSource,
    createdAt: num(r.created_at),
  };
}

function operatorOf(r: OperatorRow): Operator {
  return {
    id: r.id, name: r.name, dial: r.dial, stateDevice: r.state_device,
    online: r.online === true || r.online === 1 || r.online === '1', callId: r.call_id, offlineReason: r.offline_reason,
  };
}
