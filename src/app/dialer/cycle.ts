import type { Logger } from '../../adapters/logging/logger.ts';
import { chooseLead, type DueLead } from '../../core/pacing/choose-lead.ts';
import { DncList } from '../../core/pacing/dnc.ts';
import { classifyCustomerLeg, type CustomerOutcome } from '../../core/pacing/outcome.ts';
import { nextForLead, type LeadNext } from '../../core/pacing/retry-plan.ts';
import type { DialMode } from '../../core/pacing/settings.ts';
import type { Clock } from '../calls/ports.ts';
import type { CustomerLegs } from './customer-leg.ts';
import type { Campaign, Lead, Operator } from './model.ts';
import type { DialerPbx, DialerPbxEvent, DialerStore, LeadCard } from './ports.ts';
import { PooledCalls } from './pooled.ts';

/** Dialer call ids: recognisable as connector calls (the route service looks them up by channel). */
export const DIALER_CALL_PREFIX = 'c2c-dl-';

export interface DialerCycleDeps {
  readonly store: DialerStore;
  readonly pbx: DialerPbx;
  readonly legs: CustomerLegs;
  readonly card: LeadCard | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly newId: () => string;
  /** The callee's region from the numbering plan (for calling hours in their timezone). */
  readonly timezoneOf: (digits: string) => string | null;
  /** How long an operator's phone rings before they are taken off line (seconds). */
  readonly operatorRingSeconds: number;
  /** After an Originate failed, how long the customer leg's own end report may still take. */
  readonly endGraceMs?: number;
  /** How long an answered call waits for its card to open (the register may still be on its way to Bitrix24). */
  readonly cardDeadlineMs?: number;
}

/** What the cycle knows of a call in flight (lost on restart: the PBX's end report still closes it). */
interface Live {
  readonly campaignId: string;
  /** Null while a ratio/predictive call waits for its customer to answer. */
  operatorId: string | null;
  readonly mode: DialMode;
  /** The card's register is in the CRM outbox (a ratio/predictive call's once an operator takes it). */
  registered: boolean;
  /** A ratio/predictive call's lead (its card is registered once an operator takes it). */
  readonly lead?: { readonly lead: Lead; readonly e164: string; readonly channelId: string };
  machine?: boolean;
  answered: boolean;
  operatorTook: boolean;
  abandoned: boolean;
  cardShown: boolean;
}

const DUE_BATCH = 50;
/** A call of an earlier run (or whose end report was lost) is closed after this long. */
const STALE_MS = 15 * 60_000;
const SWEEP_EVERY_MS = 60_000;

/**
 * The call cycle (seed 002, PRODUCT "Auto-dialer"): while operators of a running campaign are on
 * line and free — free as the PBX says (not in a call, not ringing), not held for a call of the
 * dialer and not in the after-call work (`wrapUpSeconds`) after a customer — each gets the next
 * lead the pacing core allows, the customer leg is routed by the connector's outbound routing,
 * and the PBX is asked to place it: operator first (preview) or customer first and bridged to the
 * held operator on answer (progressive). The PBX's reports close each call with its outcome and
 * schedule the lead's retry by the campaign's plan.
 */
export class DialerCycle {
  private readonly live = new Map<string, Live>();
  /** Campaigns as the last pass read them: a call's end needs its retry plan without a read. */
  private readonly campaigns = new Map<string, Campaign>();
  private readonly pooled: PooledCalls;
  /** Operators in after-call work: when it ends (kept in memory; a restart lets them be offered a call sooner). */
  private readonly wrapUps = new Map<string, number>();
  private dnc = new DncList([]);
  private running: Promise<void> | null = null;
  private sweptAt = 0;

  constructor(private readonly deps: DialerCycleDeps) {
    this.pooled = new PooledCalls(deps.store);
  }

  /** Re-reads the do-not-call list (after every change through the CLI or API; every instance on its own timer). */
  async reloadDnc(): Promise<void> {
    this.dnc = new DncList(await this.deps.store.listDnc());
  }

  /** One pass; a pass still running makes this one a no-op (never two passes at once). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => { this.running = null; });
    return this.running;
  }

  /** Resolves once no pass is running (stopping waits for it). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<void> {
    const { store, pbx } = this.deps;
    if (!pbx.connected) return;
    await this.sweep();
    const campaigns = await store.listCampaigns('running');
    for (const c of campaigns) this.campaigns.set(c.id, c);
    if (campaigns.length === 0) return;
    const team = new Set(campaigns.flatMap((c) => c.operators));
    const everyone = await store.listOperators([...team]);
    const now = this.deps.clock.now();
    const operators = everyone.filter((o) => o.online && o.callId === null && this.wrapUpLeft(o.id, now) === 0);
    const states = operators.length > 0 ? await pbx.deviceStates(operators.map((o) => o.stateDevice)) : new Map<string, string>();
    const free = new Map(operators.filter((o) => states.get(o.stateDevice) === 'NOT_INUSE').map((o) => [o.id, o]));
    for (const campaign of campaigns) {
      const mine = campaign.operators.map((id) => free.get(id)).filter((o): o is Operator => o !== undefined);
      if (campaign.settings.pooled) {
        // Ratio/predictive dial even when nobody is free yet: operators will be by the time customers answer.
        const team = everyone.filter((o) => o.online && campaign.operators.includes(o.id));
        const wrapUpLeftMs = team.filter((o) => o.callId === null).map((o) => this.wrapUpLeft(o.id, now)).filter((left) => left > 0);
        for (const id of await this.fillPooled(campaign, mine, team.length, wrapUpLeftMs)) free.delete(id);
        continue;
      }
      if (mine.length === 0) continue;
      const placed = await this.fill(campaign, mine);
      for (const id of placed) free.delete(id);
    }
  }

  /**
   * The campaign's leads due now, handed out one at a time by the pure lead choice (attempt times
   * read only when caps apply); the leads it puts on hold are stored as it goes. Null: none left.
   */
  private async leadPicker(campaign: Campaign, now: number, limit: number): Promise<() => Promise<{ lead: Lead; mode: DialMode } | null>> {
    const { store } = this.deps;
    const leads = await store.dueLeads(campaign.id, now, limit);
    const capped = campaign.settings.caps.perDay !== null || campaign.settings.caps.perWeek !== null || campaign.settings.caps.perMonth !== null;
    const starts = capped && leads.length > 0 ? await store.attemptStarts(leads.map((l) => l.id)) : new Map<string, number[]>();
    let due = leads.map((l): DueLead => ({
      id: l.id, digits: l.digits, timezone: this.deps.timezoneOf(l.digits), attemptStarts: starts.get(l.id) ?? [], reserveOperator: l.reserveOperator,
    }));
    const byId = new Map(leads.map((l) => [l.id, l]));
    return async () => {
      if (due.length === 0) return null;
      const choice = chooseLead(due, campaign.settings, this.dnc, now);
      await store.applyHolds(choice.holds);
      if (!choice.dial) return null;
      const picked = choice.dial.lead;
      const skipped = new Set(choice.holds.map((h) => h.leadId));
      due = due.filter((l) => l.id !== picked.id && !skipped.has(l.id));
      return { lead: byId.get(picked.id) as Lead, mode: choice.dial.mode };
    };
  }

  /** Gives each free operator of the campaign one lead; returns the operators now held. */
  private async fill(campaign: Campaign, operators: readonly Operator[]): Promise<string[]> {
    const { clock } = this.deps;
    const now = clock.now();
    const next = await this.leadPicker(campaign, now, DUE_BATCH);
    const held: string[] = [];
    for (const operator of operators) {
      const pick = await next();
      if (!pick) break;
      if (await this.place(campaign, operator, pick.lead, pick.mode)) held.push(operator.id);
    }
    return held;
  }

  /**
   * Ratio/predictive: as many customer calls as the pacing decides, none tied to an operator
   * (a lead reserved after a drop is still dialled operator first). Returns the operators now held.
   */
  private async fillPooled(campaign: Campaign, free: readonly Operator[], online: number, wrapUpLeftMs: readonly number[]): Promise<string[]> {
    const { clock } = this.deps;
    const now = clock.now();
    const decision = await this.pooled.decide(campaign, online, free.length, now, wrapUpLeftMs);
    if (decision.dial === 0) return [];
    this.deps.logger.info({ campaign: campaign.id, pacing: decision.mode, dial: decision.dial, free: free.length, online, why: decision.why }, 'dialer: pacing');
    const next = await this.leadPicker(campaign, now, Math.min(DUE_BATCH, decision.dial));
    const operators = [...free];
    const held: string[] = [];
    for (let i = 0; i < decision.dial; i++) {
      const pick = await next();
      if (!pick) break;
      const lead = pick.lead;
      if (pick.mode === 'preview') {
        const operator = operators.shift();
        if (operator && await this.place(campaign, operator, lead, 'preview')) held.push(operator.id);
      } else {
        await this.place(campaign, null, lead, 'progressive');
      }
    }
    return held;
  }

  private async place(campaign: Campaign, operator: Operator | null, lead: Lead, mode: DialMode): Promise<boolean> {
    const { store, clock, logger } = this.deps;
    const callId = `${DIALER_CALL_PREFIX}${this.deps.newId()}`;
    const channelId = `${callId}-a`;
    const otherChannelId = `${callId}-b`;
    const now = clock.now();
    if (operator && !(await store.hold(operator.id, callId, now))) return false;
    const log = logger.child({ callId, campaign: campaign.id, lead: lead.id, operator: operator?.id ?? null, mode, pacing: campaign.settings.pooled?.mode ?? null });
    await store.startAttempt({ leadId: lead.id, campaignId: campaign.id, operatorId: operator?.id ?? null, callId, mode, startedAt: now });
    const routed = this.deps.legs.route(lead.digits, campaign.department, campaign.settings.ringSeconds);
    if (!routed.ok) {
      log.warn({ code: routed.code, reason: routed.message }, 'dialer: the routing refused the customer call');
      await this.close(callId, campaign, operator?.id ?? null, { outcome: 'technical', dialStatus: null, hangupCause: null });
      return false;
    }
    const registered = operator ? await this.register(operator.id, lead, routed.leg.e164, callId, now, log) : false;
    let stored = false;
    try {
      // In preview the route requests come from the operator's channel; in progressive from the customer leg's.
      // The CRM's CALL_ID is not waited for: the call record's finish takes it from the register's entry.
      await this.deps.legs.store(routed.leg, { callId, routeChannel: mode === 'preview' ? channelId : otherChannelId, linkedid: channelId, operatorId: operator?.id ?? null, crmCallId: null });
      stored = true;
      this.live.set(callId, {
        campaignId: campaign.id, operatorId: operator?.id ?? null, mode, registered, answered: false, operatorTook: false, abandoned: false, cardShown: false,
        ...(operator ? {} : { lead: { lead, e164: routed.leg.e164, channelId } }),
      });
      if (!operator) this.pooled.placed(callId, campaign.id, now);
      await this.deps.pbx.originate({
        mode, callId, channelId, otherChannelId, digits: lead.digits, operator, campaignId: campaign.id, leadId: lead.id,
        ringSeconds: campaign.settings.ringSeconds, operatorRingSeconds: this.deps.operatorRingSeconds, amd: campaign.settings.amd != null && mode !== 'preview',
      });
    } catch (err) {
      log.warn({ err }, 'dialer: the call could not be placed');
      if (stored) await this.deps.legs.abandon(callId, `originate failed: ${(err as Error).message}`).catch(() => undefined);
      await this.close(callId, campaign, operator?.id ?? null, { outcome: 'technical', dialStatus: null, hangupCause: null });
      return false;
    }
    log.info({ trunk: routed.leg.plan.attempts[0]?.trunk }, 'dialer: call placed');
    return true;
  }

  /** Stores the card's register with the operator and the lead (sent by the outbox, shown on answer); false when it could not be stored. */
  private async register(operatorId: string, lead: Lead, e164: string, callId: string, at: number, log: Logger): Promise<boolean> {
    if (!this.deps.card) return false;
    try {
      await this.deps.card.register({ callId, operatorId, e164, entityType: lead.entityType, entityId: lead.entityId, externalId: `${callId}-a`, at });
      return true;
    } catch (err) {
      log.warn({ err }, 'dialer: the card could not be registered; placed without a card');
      return false;
    }
  }

  /**
   * Calls this process does not know (placed before a restart, their end report lost) still hold
   * their lead and operator: once older than any customer leg's ringing, they are closed — as
   * answered if the PBX reported the answer, else as a technical error (retried in 10 min).
   */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    for (const a of await this.deps.store.openAttempts()) {
      if (this.live.has(a.callId) || now - a.startedAt < STALE_MS) continue;
      const campaign = this.campaigns.get(a.campaignId) ?? await this.deps.store.getCampaign(a.campaignId);
      if (!campaign) continue;
      this.deps.logger.warn({ callId: a.callId, lead: a.leadId, startedAt: a.startedAt }, 'dialer: no end was reported for a call: closed');
      await this.close(a.callId, campaign, a.operatorId, { outcome: a.answeredAt !== null ? 'answered' : 'technical', dialStatus: null, hangupCause: null });
    }
  }

  /** A report from the PBX about a dialer call. */
  async handle(e: DialerPbxEvent): Promise<void> {
    const live = this.live.get(e.callId);
    switch (e.kind) {
      case 'answered':
        if (live) live.answered = true;
        await this.deps.store.markAnswered(e.callId, this.deps.clock.now());
        if (live && live.operatorId === null) {
          this.pooled.answered(e.callId, this.deps.clock.now());
          await this.assign(e.callId, live);
        }
        if (live?.mode === 'progressive') await this.showCard(e.callId, live);
        return;
      case 'bridged':
        if (live) {
          live.operatorTook = true;
          this.pooled.bridged(e.callId, this.deps.clock.now(), this.targetOf(live));
          await this.showCard(e.callId, live);
        }
        return;
      case 'abandoned':
        if (live) {
          live.abandoned = true;
          this.pooled.abandoned(e.callId, this.targetOf(live));
        }
        return;
      case 'machine':
        if (live) {
          live.machine = true;
          this.pooled.machine(e.callId, this.deps.clock.now(), this.targetOf(live), this.campaigns.get(live.campaignId)?.settings.amd?.falsePositivePct ?? 0);
        }
        return;
      case 'operator-missed':
        await this.operatorOff(e.operatorId, `did not answer an offered call (${e.dialStatus})`);
        if (live) live.abandoned = true;
        return;
      case 'customer-end': {
        const outcome: CustomerOutcome = live?.abandoned === true
          ? 'abandoned'
          : live?.machine === true ? 'machine'
          : classifyCustomerLeg({ dialStatus: e.dialStatus, hangupCause: e.hangupCause, operatorTook: live ? live.operatorTook : e.dialStatus === 'ANSWER' });
        await this.finish(e.callId, { outcome, dialStatus: e.dialStatus, hangupCause: e.hangupCause });
        return;
      }
      case 'originate-failed':
        if (live?.mode === 'preview' && !live.operatorTook && live.operatorId !== null) {
          // The operator's phone was offered the call and not answered: off line; the lead waits for the next operator.
          await this.operatorOff(live.operatorId, `did not answer an offered call (${e.reason})`);
          await this.finish(e.callId, { outcome: 'technical', dialStatus: null, hangupCause: null }, true);
          return;
        }
        // Progressive: the customer leg's own end report carries the outcome; it normally comes first.
        setTimeout(() => {
          if (this.live.has(e.callId)) void this.finish(e.callId, { outcome: 'technical', dialStatus: null, hangupCause: null }).catch(() => undefined);
        }, this.deps.endGraceMs ?? 3000).unref();
        return;
    }
  }

  private targetOf(live: Live): number {
    return this.campaigns.get(live.campaignId)?.settings.pooled?.abandonTargetPct ?? 3;
  }

  /**
   * A ratio/predictive customer answered: the first free operator of the team is held for the
   * call and handed to the waiting channel; its card is registered and opened. None free → the
   * dialplan plays the message after its wait (an abandoned call).
   */
  private async assign(callId: string, live: Live): Promise<void> {
    const { store, pbx, clock, logger } = this.deps;
    const campaign = this.campaigns.get(live.campaignId);
    if (!campaign || !live.lead || !pbx.assignOperator) return;
    const now = clock.now();
    const candidates = (await store.listOperators(campaign.operators)).filter((o) => o.online && o.callId === null && this.wrapUpLeft(o.id, now) === 0);
    if (candidates.length === 0) return;
    const states = await pbx.deviceStates(candidates.map((o) => o.stateDevice));
    for (const o of candidates) {
      if (states.get(o.stateDevice) !== 'NOT_INUSE' || !(await store.hold(o.id, callId, now))) continue;
      live.operatorId = o.id;
      this.pooled.assigned(callId, o.id);
      const log = logger.child({ callId, campaign: campaign.id, operator: o.id });
      try {
        await pbx.assignOperator(live.lead.channelId, o);
      } catch (err) {
        log.warn({ err }, 'dialer: the answered customer could not be handed to the operator');
        live.operatorId = null;
        await store.release(o.id, callId, now);
        return;
      }
      await store.setAttemptOperator(callId, o.id);
      live.registered = await this.register(o.id, live.lead.lead, live.lead.e164, callId, now, log);
      await this.deps.legs.attach(callId, o.id);
      log.info('dialer: answered customer given to an operator');
      return;
    }
  }

  /** Within a deadline: a card opening after the talk began is worse than none (the call record is written either way). */
  private async showCard(callId: string, live: Live): Promise<void> {
    if (live.cardShown || !live.registered || live.operatorId === null || !this.deps.card) return;
    live.cardShown = true;
    const deadlineMs = this.deps.cardDeadlineMs ?? 2000;
    const shown = await this.deps.card.show({ callId, operatorId: live.operatorId }, deadlineMs).catch((err: unknown) => {
      this.deps.logger.warn({ callId, err }, 'dialer: the lead card could not be shown');
      return true;
    });
    if (!shown) this.deps.logger.warn({ callId, operator: live.operatorId, deadlineMs }, 'dialer: Bitrix24 had not registered the call in time: card not shown (the call is still recorded)');
  }

  /** The operator's after-call work left (ms); 0 when none (an ended one is forgotten). */
  private wrapUpLeft(operatorId: string, now: number): number {
    const until = this.wrapUps.get(operatorId);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.wrapUps.delete(operatorId);
    return 0;
  }

  private async operatorOff(operatorId: string, reason: string): Promise<void> {
    await this.deps.store.setOnline(operatorId, false, reason, this.deps.clock.now());
    this.deps.logger.info({ operator: operatorId, reason }, 'dialer: operator taken off line');
  }

  private async finish(callId: string, end: { outcome: CustomerOutcome; dialStatus: string | null; hangupCause: number | null }, operatorFault = false): Promise<void> {
    const live = this.live.get(callId);
    const attempt = live ? { campaignId: live.campaignId, operatorId: live.operatorId } : await this.deps.store.getAttempt(callId);
    if (!attempt) return;
    const campaign = this.campaigns.get(attempt.campaignId) ?? await this.deps.store.getCampaign(attempt.campaignId);
    if (!campaign) return;
    await this.close(callId, campaign, attempt.operatorId, end, operatorFault);
  }

  private async close(
    callId: string, campaign: Campaign, operatorId: string | null,
    end: { outcome: CustomerOutcome; dialStatus: string | null; hangupCause: number | null }, operatorFault = false,
  ): Promise<void> {
    const now = this.deps.clock.now();
    this.live.delete(callId);
    const s = campaign.settings;
    const wrapUpMs = (s.wrapUpSeconds ?? 0) * 1000;
    this.pooled.ended(callId, now, wrapUpMs);
    // After a customer they talked to, the operator's after-call work (notes in the CRM) before the next one.
    if (operatorId !== null && end.outcome === 'answered' && wrapUpMs > 0) this.wrapUps.set(operatorId, now + wrapUpMs);
    const next = (lead: Lead): LeadNext => (operatorFault
      ? { kind: 'retry', at: now, reserveOperator: lead.reserveOperator }
      : nextForLead(end.outcome, lead.attempts, s.maxAttempts, s.retry, now));
    const closed = await this.deps.store.endAttempt(callId, { ...end, endedAt: now }, next);
    if (operatorId !== null) await this.deps.store.release(operatorId, callId, now);
    if (closed) {
      this.deps.logger.info({
        callId, campaign: campaign.id, lead: closed.lead.id, outcome: end.outcome, dialStatus: end.dialStatus, hangupCause: end.hangupCause,
        leadStatus: closed.lead.status, nextAt: closed.lead.status === 'pending' ? closed.lead.nextAt : null,
      }, 'dialer: call ended');
    }
  }
}
