import { ABANDON_WINDOWS, type AbandonCounts } from '../../core/pacing/abandon-window.ts';
import { CallHistory, HISTORY_CALLS, HISTORY_TALKS, historyOf } from '../../core/pacing/call-history.ts';
import { MARGIN, nextMargin, pace, type PacingDecision } from '../../core/pacing/pacer.ts';
import type { Campaign } from './model.ts';
import type { PacingStore } from './ports.ts';

/** How long an answered customer waits for an operator before the message (the dialplan's wait). */
export const HOLD_MS = 1000;
/** The window's counts are read again after this long (a COUNT over up to 30 days). */
const WINDOW_READ_MS = 5000;

interface PooledCall {
  readonly campaignId: string;
  readonly placedAt: number;
  answeredAt: number | null;
  bridgedAt: number | null;
  operatorId: string | null;
  /** Counted once in the margin's feedback: served or dropped. */
  settled: boolean;
  machine: boolean;
}

interface CampaignPacing {
  readonly history: CallHistory;
  margin: number;
  window: { readonly at: number; readonly counts: AbandonCounts } | null;
}

/**
 * Ratio and predictive campaigns in the live dialer: their calls in flight (dialled ahead, not
 * tied to an operator until the customer answers), the recent calls they learn from, the
 * feedback margin, and the abandoned-rate window read from the stored attempts. The decision
 * itself is the core's `pace`, the same function `dialer simulate` runs.
 */
export class PooledCalls {
  private readonly calls = new Map<string, PooledCall>();
  private readonly campaigns = new Map<string, CampaignPacing>();

  constructor(private readonly store: PacingStore) {}

  owns(callId: string): boolean {
    return this.calls.has(callId);
  }

  operatorOf(callId: string): string | null {
    return this.calls.get(callId)?.operatorId ?? null;
  }

  private stateOf(campaignId: string): CampaignPacing {
    let s = this.campaigns.get(campaignId);
    if (!s) {
      s = { history: new CallHistory(), margin: MARGIN.start, window: null };
      this.campaigns.set(campaignId, s);
    }
    return s;
  }

  /** The window: answered and abandoned customers, plus the machine verdicts' estimated live share, counted both ways. */
  private async windowCounts(campaign: Campaign, now: number): Promise<AbandonCounts> {
    const s = this.stateOf(campaign.id);
    if (s.window && now - s.window.at < WINDOW_READ_MS) return s.window.counts;
    const pooled = campaign.settings.pooled;
    const since = now - ABANDON_WINDOWS[pooled?.abandonWindow ?? '24h'];
    const r = await this.store.abandonCounts(campaign.id, since);
    const live = r.machines * ((campaign.settings.amd?.falsePositivePct ?? 0) / 100);
    const counts = { answered: r.answered + live, abandoned: r.abandoned + live };
    s.window = { at: now, counts };
    return counts;
  }

  /**
   * The campaign's state, its history rebuilt from the stored calls the first time (after a
   * restart predictive goes on from what it knew, not from progressive until 30 new calls);
   * each talk was followed by the campaign's wrap-up.
   */
  private async loaded(campaign: Campaign): Promise<CampaignPacing> {
    const campaignId = campaign.id;
    const known = this.campaigns.get(campaignId);
    if (known) return known;
    const [calls, handled] = await Promise.all([
      this.store.recentEndedAttempts(campaignId, HISTORY_CALLS),
      this.store.recentEndedAttempts(campaignId, HISTORY_TALKS, 'answered'),
    ]);
    // A call that ended while the rows were read is in the state already (set meanwhile).
    const s = this.campaigns.get(campaignId) ?? { history: historyOf(calls, handled, (campaign.settings.wrapUpSeconds ?? 0) * 1000), margin: MARGIN.start, window: null };
    this.campaigns.set(campaignId, s);
    return s;
  }

  /** How many customer calls the campaign places now. */
  async decide(campaign: Campaign, onlineOperators: number, freeOperators: number, now: number, wrapUpLeftMs: readonly number[] = []): Promise<PacingDecision> {
    const pooled = campaign.settings.pooled;
    if (!pooled) return { dial: 0, mode: 'progressive', why: 'not a pooled campaign' };
    const mine = [...this.calls.values()].filter((c) => c.campaignId === campaign.id);
    const s = await this.loaded(campaign);
    return pace(
      { mode: pooled.mode, ratio: pooled.ratio, abandonTargetPct: pooled.abandonTargetPct, minOperators: pooled.minOperators, holdMs: HOLD_MS },
      {
        onlineOperators,
        freeOperators,
        talkElapsedMs: mine.filter((c) => c.bridgedAt !== null).map((c) => now - (c.bridgedAt as number)),
        wrapUpLeftMs,
        ringingAgesMs: mine.filter((c) => c.answeredAt === null).map((c) => now - c.placedAt),
        waiting: mine.filter((c) => c.answeredAt !== null && c.operatorId === null && !c.settled).length,
      },
      s.history,
      await this.windowCounts(campaign, now),
      s.margin,
    );
  }

  placed(callId: string, campaignId: string, now: number): void {
    this.calls.set(callId, { campaignId, placedAt: now, answeredAt: null, bridgedAt: null, operatorId: null, settled: false, machine: false });
  }

  /** The customer answered (after AMD's verdict when it is on): an operator is needed now. */
  answered(callId: string, now: number): void {
    const c = this.calls.get(callId);
    if (!c || c.answeredAt !== null) return;
    c.answeredAt = now;
    this.stateOf(c.campaignId).history.addCall({ ringMs: now - c.placedAt, answered: true });
  }

  /**
   * AMD heard a machine: no operator was needed. Its estimated live share counts as a dropped
   * customer in the window and in the margin's feedback (or the margin would aim past the target).
   */
  machine(callId: string, now: number, targetPct: number, falsePositivePct: number): void {
    const c = this.calls.get(callId);
    if (!c || c.machine) return;
    c.machine = true;
    const s = this.stateOf(c.campaignId);
    s.history.addCall({ ringMs: now - c.placedAt, answered: false });
    if (!c.settled) {
      c.settled = true;
      s.margin = nextMargin(s.margin, 1, targetPct, falsePositivePct / 100);
    }
  }

  assigned(callId: string, operatorId: string): void {
    const c = this.calls.get(callId);
    if (c) c.operatorId = operatorId;
  }

  bridged(callId: string, now: number, targetPct: number): void {
    const c = this.calls.get(callId);
    if (!c) return;
    c.bridgedAt = now;
    this.settle(c, 0, targetPct);
  }

  abandoned(callId: string, targetPct: number): void {
    const c = this.calls.get(callId);
    if (c) this.settle(c, 1, targetPct);
  }

  private settle(c: PooledCall, dropped: number, targetPct: number): void {
    if (c.settled) return;
    c.settled = true;
    const s = this.stateOf(c.campaignId);
    s.margin = nextMargin(s.margin, dropped, targetPct);
  }

  /** The customer leg ended: an unanswered call, and an operator's talk and the wrap-up after it, are learnt from. */
  ended(callId: string, now: number, wrapUpMs = 0): void {
    const c = this.calls.get(callId);
    if (!c) return;
    this.calls.delete(callId);
    const s = this.stateOf(c.campaignId);
    if (c.answeredAt === null && !c.machine) s.history.addCall({ ringMs: now - c.placedAt, answered: false });
    if (c.bridgedAt !== null) {
      s.history.addTalk(now - c.bridgedAt);
      s.history.addWrapUp(wrapUpMs);
    }
    // The next decision reads the window again (this call may have changed it).
    s.window = null;
  }
}
