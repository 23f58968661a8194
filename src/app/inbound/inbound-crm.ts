import type { CountryCode } from 'libphonenumber-js';
import type { Logger } from '../../adapters/logging/logger.ts';
import { normalizePhone } from '../../core/phone/normalize.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import { isoWithZone, type PlannedWrite } from '../crm/call-record-writes.ts';
import { isCrmWhitelisted, isExcludedNumber } from '../crm/crm-policy.ts';
import { enqueuePlans } from '../crm/enqueue-plan.ts';
import type { OutboxEnqueuer } from '../crm/handoff-ports.ts';
import { RECORDING_PARAM } from '../crm/outbox-params.ts';
import type { EndedCall, InboundStepAnswer, InboundStepQuery } from './inbound-service.ts';

export interface InboundCrmDeps {
  readonly outbox: OutboxEnqueuer<unknown>;
  readonly rules: { current(): CompiledRules };
  readonly now: () => number;
  readonly logger: Logger;
  /** Wakes the outbox worker (a card should pop at once). */
  readonly onEnqueued?: () => void;
}

/** What the connector knows of one inbound call (by Linkedid) while it lasts. */
interface Card {
  readonly linkedid: string;
  readonly caller: string | null;
  readonly line: string;
  readonly startedAt: number;
  readonly createLeads: boolean;
  /** The caller's number is excluded (crm.yaml) or not a phone number: nothing is written. */
  readonly silent: string | null;
  /** The user the call is assigned to: the first one it rang (USER_ID of `register`). */
  assigned: string | null;
  /** Users whose card is shown now. */
  readonly shown: Set<string>;
  answeredBy: string | null;
  answeredAt: number | null;
  /** The caller's responsible manager, once a responsible step found them: owns the call if missed. */
  responsible: string | null;
  /** The user rung last: owns a missed call without a responsible manager. */
  lastRung: string | null;
  /** Extensions ringing now → their user (to know who answered). */
  ringing: Map<string, string | null>;
  seq: number;
}

/** Cards of calls that never report their end (a lost `h` request) are dropped after this. */
const MAX_CALL_MS = 6 * 3600_000;

/**
 * The CRM side of inbound calls (DECISIONS §19): `register` TYPE 2 when the first manager's phone
 * rings, the card `show`n to every manager whose phone rings and `hide`n from those who stop
 * ringing, hidden from the others when one answers (so nobody gets a "missed call" for a
 * colleague's call), `finish` with the user who answered, then the recording. Every write goes
 * through the durable outbox, chained to the register (its CALL_ID is injected).
 * The whitelist decides the recording (the answering user, else the assigned one); excluded
 * numbers are never written. Cards live in this process: a call's steps answered by several
 * instances show cards from each, which the final finish still closes.
 */
export class InboundCrm {
  private readonly cards = new Map<string, Card>();

  constructor(private readonly deps: InboundCrmDeps) {}

  /** Every step decided (InboundService's observer): show and hide cards as phones start and stop ringing. */
  readonly observe = (query: InboundStepQuery, answer: InboundStepAnswer): void => {
    if (query.linkedid === null) return;
    let card = this.cards.get(query.linkedid);
    if (!card) {
      // Mid-call too (a restart, another instance's first step): the writes are keyed by Linkedid, so stored once.
      if (answer.decision?.scenario == null) return;
      card = this.open(query, answer);
    }
    const a = answer.action;
    const ringing = a.kind === 'dial' || a.kind === 'queue' ? a.ringing : a.kind === 'forward' ? a.ringing ?? [] : [];
    if (a.kind === 'probe') return;
    card.ringing = new Map(ringing.map((r) => [r.extension, r.user]));
    const users = [...new Set(ringing.map((r) => r.user).filter((u): u is string => u !== null))];
    if (answer.decision?.owner != null) card.responsible = answer.decision.owner;
    card.lastRung = users[0] ?? card.lastRung;
    if (card.silent !== null) return;
    card.assigned ??= users[0] ?? null;
    const show = users.filter((u) => !card.shown.has(u));
    const hide = [...card.shown].filter((u) => !users.includes(u));
    this.cardWrites(card, show, hide);
  };

  /** A phone answered (the dialplan's answer hook, on the answering channel): hide the card from everyone else. */
  answered(linkedid: string, channel: string): void {
    const card = this.cards.get(linkedid);
    if (!card || card.answeredBy !== null) return;
    card.answeredAt = this.deps.now();
    const extension = [...card.ringing.keys()].find((e) => channelDials(channel, e)) ?? null;
    card.answeredBy = extension === null ? null : card.ringing.get(extension) ?? null;
    if (card.silent !== null) return;
    const hide = [...card.shown].filter((u) => u !== card.answeredBy);
    this.cardWrites(card, card.answeredBy !== null && !card.shown.has(card.answeredBy) ? [card.answeredBy] : [], hide);
  }

  /**
   * The caller's channel hung up (`h`): finish the CRM call and attach its recording. A missed
   * call is owned by the responsible manager, else the user rung last, else inbound.yaml's
   * `missedCallOwner`; `call` (the dialplan's own memory) stands in for a card lost in a restart.
   */
  ended(linkedid: string, recording: string | null, call?: EndedCall): void {
    const rules = this.deps.rules.current();
    const card = this.cards.get(linkedid) ?? (call ? this.reopen(linkedid, call) : undefined);
    this.cards.delete(linkedid);
    if (!card || card.silent !== null) return;
    const answered = card.answeredAt !== null;
    const missedOwner = card.responsible ?? card.lastRung ?? rules.inbound.rules.missedCallOwner ?? null;
    const user = answered ? card.answeredBy ?? card.assigned : missedOwner ?? card.assigned;
    if (user === null) {
      this.deps.logger.info({ linkedid }, 'inbound: the call rang no manager: not registered in the CRM');
      return;
    }
    card.assigned ??= user;
    const now = this.deps.now();
    const writes: PlannedWrite[] = [this.register(card)];
    const others = [...card.shown].filter((u) => u !== user);
    if (others.length > 0) writes.push(this.hideWrite(card, others));
    const finishKey = `in:${card.linkedid}:finish`;
    writes.push({
      key: finishKey, method: 'telephony.externalcall.finish', after: this.registerKey(card), inject: { CALL_ID: 'CALL_ID' },
      params: { USER_ID: user, DURATION: answered ? Math.max(0, Math.round((now - (card.answeredAt ?? now)) / 1000)) : 0, STATUS_CODE: answered ? '200' : '304' },
    });
    if (answered && recording !== null && /\.(wav|mp3)$/i.test(recording) && isCrmWhitelisted(rules, { userId: user, extension: null })) {
      writes.push({ key: `in:${card.linkedid}:attach`, method: 'telephony.externalcall.attachRecord', after: finishKey, inject: { CALL_ID: 'CALL_ID' }, params: { [RECORDING_PARAM]: recording } });
    }
    this.enqueue(card, writes);
  }

  private open(query: InboundStepQuery, answer: InboundStepAnswer | null): Card {
    const rules = this.deps.rules.current();
    const now = this.deps.now();
    for (const [id, c] of this.cards) if (now - c.startedAt > MAX_CALL_MS) this.cards.delete(id);
    const caller = query.caller === null ? null : normalizePhone(query.caller, { defaultCountry: rules.defaultCountry as CountryCode });
    const number = caller?.ok ? caller.number.e164 : null;
    const didDigits = normalizePhone(query.did, { defaultCountry: rules.defaultCountry as CountryCode });
    const bound = didDigits.ok ? rules.inbound.numberByDigits.get(didDigits.number.digits) : undefined;
    const silent = number === null ? 'the caller\'s number is not a phone number'
      : isExcludedNumber(rules, number) ? 'excluded number' : null;
    const card: Card = {
      linkedid: query.linkedid ?? '',
      caller: number,
      line: bound?.line ?? bound?.number ?? query.did,
      startedAt: now,
      createLeads: answer?.decision?.scenario?.createLeads ?? rules.rules.crm.createLeads,
      silent,
      assigned: null,
      shown: new Set(),
      answeredBy: null,
      answeredAt: null,
      responsible: null,
      lastRung: null,
      ringing: new Map(),
      seq: 0,
    };
    this.cards.set(card.linkedid, card);
    return card;
  }

  /** A call whose card this process never had (a restart mid-call): what the dialplan kept. */
  private reopen(linkedid: string, call: EndedCall): Card | undefined {
    const card = this.open({ did: call.did, state: '', result: '', caller: call.caller, uniqueid: linkedid, linkedid }, null);
    card.responsible = call.owner;
    return card;
  }

  private registerKey(card: Card): string {
    return `in:${card.linkedid}:register`;
  }

  /** The same write every time (the outbox stores it once, by key): later writes chain to it. */
  private register(card: Card): PlannedWrite {
    return {
      key: this.registerKey(card),
      method: 'telephony.externalcall.register',
      params: {
        USER_ID: card.assigned, PHONE_NUMBER: card.caller, TYPE: 2, LINE_NUMBER: card.line, CALL_START_DATE: isoWithZone(card.startedAt),
        CRM_CREATE: card.createLeads ? 1 : 0, EXTERNAL_CALL_ID: card.linkedid, SHOW: 0,
      },
    };
  }

  private hideWrite(card: Card, users: readonly string[]): PlannedWrite {
    for (const u of users) card.shown.delete(u);
    return { key: `in:${card.linkedid}:hide:${card.seq++}`, method: 'telephony.externalcall.hide', after: this.registerKey(card), inject: { CALL_ID: 'CALL_ID' }, params: { USER_ID: users } };
  }

  private cardWrites(card: Card, show: readonly string[], hide: readonly string[]): void {
    if ((show.length === 0 && hide.length === 0) || card.assigned === null) return;
    const writes: PlannedWrite[] = [this.register(card)];
    if (hide.length > 0) writes.push(this.hideWrite(card, hide));
    if (show.length > 0) {
      for (const u of show) card.shown.add(u);
      writes.push({ key: `in:${card.linkedid}:show:${card.seq++}`, method: 'telephony.externalcall.show', after: this.registerKey(card), inject: { CALL_ID: 'CALL_ID' }, params: { USER_ID: [...show] } });
    }
    this.enqueue(card, writes);
  }

  private enqueue(card: Card, writes: readonly PlannedWrite[]): void {
    enqueuePlans(this.deps.outbox, [writes], this.deps.now())
      .then(() => this.deps.onEnqueued?.())
      .catch((err: unknown) => this.deps.logger.error({ linkedid: card.linkedid, err }, 'inbound: storing a CRM write failed'));
  }
}

/** `Local/101@phones-00000003;1`, `PJSIP/101-0000002a`: the channel dialled for this extension. */
function channelDials(channel: string, extension: string): boolean {
  const m = /^[A-Za-z0-9]+\/([^@/;-]+)/.exec(channel);
  return m?.[1] === extension;
}
