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
import { faxWrite, voicemailWrite, type LeftMessage, type MessageFiles, type MessageReport } from './inbound-messages.ts';

export interface InboundCrmDeps {
  readonly outbox: OutboxEnqueuer<unknown>;
  readonly rules: { current(): CompiledRules };
  readonly now: () => number;
  readonly logger: Logger;
  /** Wakes the outbox worker (a card should pop at once). */
  readonly onEnqueued?: () => void;
  /** A fax's TIFF → PDF, an empty voicemail told apart (absent: the files are linked as they are). */
  readonly messageFiles?: MessageFiles;
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
  /** Sent outside (an external number, a SIP address) before any manager's phone rang: TYPE 3. */
  redirected?: boolean;
  answeredBy: string | null;
  answeredAt: number | null;
  /** Extensions ringing now → their user (to know who answered). */
  ringing: Map<string, string | null>;
  seq: number;
  /** A voicemail or fax the call left (plain data: stored with the card; its file is checked when the call ends). */
  message?: LeftMessage;
  /** The caller's responsible manager, once a responsible step found them: owns the call if missed. */
  responsible?: string | null;
  /** The user rung last: owns a missed call without a responsible manager. */
  lastRung?: string | null;
}

/**
 * A card as plain data: what is stored between a call's events so that any instance (or this one
 * after a restart) goes on with it. Users and extensions are Bitrix24 ids and dial strings.
 */
export interface CardSnapshot {
  readonly linkedid: string;
  readonly caller: string | null;
  readonly line: string;
  readonly startedAt: number;
  readonly createLeads: boolean;
  readonly silent: string | null;
  readonly assigned: string | null;
  readonly shown: readonly string[];
  readonly answeredBy: string | null;
  readonly answeredAt: number | null;
  readonly ringing: readonly (readonly [string, string | null])[];
  readonly seq: number;
  readonly redirected?: boolean;
  readonly message?: LeftMessage;
  /** The caller's responsible manager, once a responsible step found them: owns the call if missed. */
  readonly responsible?: string | null;
  /** The user rung last: owns a missed call without a responsible manager. */
  readonly lastRung?: string | null;
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
 * numbers are never written. Cards live in this process between snapshot/restore: DurableInboundCards
 * stores them between a call's events, so several instances and restarts share one card per call.
 */
export class InboundCrm {
  private readonly cards = new Map<string, Card>();
  /** Enqueues not yet stored (a card is saved only after its writes, so a replay re-plans the same keys). */
  private readonly storing = new Set<Promise<void>>();

  constructor(private readonly deps: InboundCrmDeps) {}

  /** Every step decided (InboundService's observer): show and hide cards as phones start and stop ringing. */
  readonly observe = (query: InboundStepQuery, answer: InboundStepAnswer): void => {
    if (query.linkedid === null) return;
    let card = this.cards.get(query.linkedid);
    if (!card) {
      if (query.state !== '' || answer.decision?.scenario == null) return;
      card = this.open(query, answer.decision.scenario.createLeads);
    }
    const a = answer.action;
    // A responsible manager's mobile rings for them: an answer there is theirs.
    const ringing = a.kind === 'dial' || a.kind === 'queue' ? a.ringing : a.kind === 'forward' ? a.ringing ?? [] : [];
    card.ringing = new Map(ringing.map((r) => [r.extension, r.user]));
    const users = [...new Set(ringing.map((r) => r.user).filter((u): u is string => u !== null))];
    if (answer.decision?.owner != null) card.responsible = answer.decision.owner;
    card.lastRung = users[0] ?? card.lastRung ?? null;
    if (card.silent !== null) return;
    if (card.assigned === null && users.length === 0 && isRedirect(answer)) return this.redirect(card, answer);
    card.assigned ??= users[0] ?? null;
    // A voicemail or fax before any phone rang: the step's user owns the call.
    if (answer.action.kind === 'voicemail' || answer.action.kind === 'fax') card.assigned ??= answer.action.owner;
    const show = users.filter((u) => !card.shown.has(u));
    const hide = [...card.shown].filter((u) => !users.includes(u));
    this.cardWrites(card, show, hide);
  };

  /**
   * The call goes outside (an external number, a SIP address) before any manager's phone rang: it
   * is registered as redirected (TYPE 3) with the scenario's `crmUser`; without one it is not written.
   */
  private redirect(card: Card, answer: InboundStepAnswer): void {
    const user = answer.decision?.scenario?.crmUser ?? null;
    if (user === null) return;
    card.assigned = user;
    card.redirected = true;
    this.enqueue(card, [this.register(card)]);
  }

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

  /** A voicemail or fax the call left: its owner (when no phone rang) and the fax's PDF, linked when the call ends. */
  message(linkedid: string, report: MessageReport, left: LeftMessage): void {
    // After a connector restart the card is gone: the message alone is enough to write the call.
    const card = this.cards.get(linkedid) ?? this.open({ linkedid, did: report.did, caller: report.caller }, left.createLeads);
    card.assigned ??= left.owner;
    card.message = left;
  }

  /** The file to link for a message: a fax converted to PDF (else its TIFF), a voicemail only when it has sound. */
  private checkedDoc(linkedid: string, left: LeftMessage): Promise<{ readonly file: string; readonly converted: boolean } | null> {
    const files = this.deps.messageFiles;
    const asIs = { file: left.file, converted: left.kind === 'voicemail' };
    return left.kind === 'fax'
      ? (files?.pdfOf(left.file) ?? Promise.resolve(asIs)).catch((err: unknown) => {
        this.deps.logger.warn({ linkedid, err }, 'inbound: the fax could not be converted to PDF: linking the TIFF');
        return asIs;
      })
      : (files?.hasSound(left.file) ?? Promise.resolve(true)).then((sound) => {
        if (!sound) this.deps.logger.info({ linkedid, file: left.file }, 'inbound: an empty voicemail (the caller hung up at the beep): not attached');
        return sound ? asIs : null;
      }, () => asIs);
  }

  /**
   * The caller's channel hung up (`h`): finish the CRM call and attach its recording. A missed
   * call is owned by the responsible manager, else the user rung last, else the user it was
   * assigned to (a voicemail's), else inbound.yaml's `missedCallOwner`. `call` (what the dialplan
   * kept) stands in for a card this process does not have.
   */
  ended(linkedid: string, recording: string | null, call?: EndedCall): void {
    const card = this.cards.get(linkedid) ?? (call ? this.reopen(linkedid, call) : undefined);
    this.cards.delete(linkedid);
    if (!card || card.silent !== null) return;
    const user = card.answeredAt !== null ? card.answeredBy ?? card.assigned
      : card.responsible ?? card.lastRung ?? card.assigned ?? this.deps.rules.current().inbound.rules.missedCallOwner ?? null;
    card.assigned ??= user;
    if (user === null) {
      if (card.message) this.deps.logger.warn({ linkedid, kind: card.message.kind, file: card.message.file }, 'inbound: a message was left but the call has no owner (give its step a user): not written to the CRM');
      this.deps.logger.info({ linkedid }, 'inbound: the call rang no manager: not registered in the CRM');
      return;
    }
    const now = this.deps.now();
    const answered = card.answeredAt !== null;
    // A fax arrived: the call is done, nobody has to call back (a voicemail stays missed).
    const completed = answered || card.message?.kind === 'fax';
    const rules = this.deps.rules.current();
    const writes: PlannedWrite[] = [this.register(card)];
    const others = [...card.shown].filter((u) => u !== user);
    if (others.length > 0) writes.push(this.hideWrite(card, others));
    const finishKey = `in:${card.linkedid}:finish`;
    writes.push({
      key: finishKey, method: 'telephony.externalcall.finish', after: this.registerKey(card), inject: { CALL_ID: 'CALL_ID' },
      params: { USER_ID: user, DURATION: answered ? Math.max(0, Math.round((now - (card.answeredAt ?? now)) / 1000)) : 0, STATUS_CODE: completed ? '200' : '304' },
    });
    if (answered && recording !== null && /\.(wav|mp3)$/i.test(recording) && isCrmWhitelisted(rules, { userId: user, extension: null })) {
      writes.push({ key: `in:${card.linkedid}:attach`, method: 'telephony.externalcall.attachRecord', after: finishKey, inject: { CALL_ID: 'CALL_ID' }, params: { [RECORDING_PARAM]: recording } });
    }
    this.enqueue(card, writes);
    const message = card.message;
    if (message) {
      // Planned again with the same register and finish (stored once, by key), once the file is checked.
      const [register, finish] = [writes[0], writes.find((w) => w.key === finishKey)];
      void this.checkedDoc(card.linkedid, message).then((doc) => {
        if (doc === null || !register || !finish) return;
        this.enqueue(card, message.kind === 'voicemail'
          ? [register, finish, voicemailWrite(card.linkedid, doc.file, finishKey)]
          : [register, faxWrite(card.linkedid, register.key, doc, card.caller, message.detail)]);
      });
    }
  }

  /** The call's card as plain data; null when this process has none. */
  snapshot(linkedid: string): CardSnapshot | null {
    const c = this.cards.get(linkedid);
    if (!c) return null;
    return {
      linkedid: c.linkedid, caller: c.caller, line: c.line, startedAt: c.startedAt, createLeads: c.createLeads, silent: c.silent, assigned: c.assigned,
      shown: [...c.shown], answeredBy: c.answeredBy, answeredAt: c.answeredAt, ringing: [...c.ringing], seq: c.seq, redirected: c.redirected === true, ...(c.message ? { message: c.message } : {}),
      responsible: c.responsible ?? null, lastRung: c.lastRung ?? null,
    };
  }

  /** Takes a stored card as the call's current one (another instance may have moved it on). */
  restore(s: CardSnapshot): void {
    this.cards.set(s.linkedid, { ...s, shown: new Set(s.shown), ringing: new Map(s.ringing) });
  }

  /** Drops this process's copy of a card (the stored one is the truth). */
  forget(linkedid: string): void {
    this.cards.delete(linkedid);
  }

  /** Resolves once every write planned so far is in the outbox (or failed to be stored, which is logged). */
  async flushed(): Promise<void> {
    await Promise.all([...this.storing]);
  }

  /** A call whose card this process never had (nor the store): what the dialplan kept. */
  private reopen(linkedid: string, call: EndedCall): Card {
    const card = this.open({ linkedid, did: call.did, caller: call.caller }, null);
    card.responsible = call.owner;
    return card;
  }

  private open(query: Pick<InboundStepQuery, 'linkedid' | 'did' | 'caller'>, createLeads: boolean | null): Card {
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
      createLeads: createLeads ?? rules.rules.crm.createLeads,
      silent,
      assigned: null,
      shown: new Set(),
      answeredBy: null,
      answeredAt: null,
      ringing: new Map(),
      seq: 0,
    };
    this.cards.set(card.linkedid, card);
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
        USER_ID: card.assigned, PHONE_NUMBER: card.caller, TYPE: card.redirected === true ? 3 : 2, LINE_NUMBER: card.line, CALL_START_DATE: isoWithZone(card.startedAt),
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
    const stored = enqueuePlans(this.deps.outbox, [writes], this.deps.now())
      .then(() => this.deps.onEnqueued?.())
      .catch((err: unknown) => this.deps.logger.error({ linkedid: card.linkedid, err }, 'inbound: storing a CRM write failed'));
    this.storing.add(stored);
    void stored.finally(() => this.storing.delete(stored));
  }
}

/** A forward outside, or a dial of a SIP address (a dial that rings no employee). */
function isRedirect(answer: InboundStepAnswer): boolean {
  return answer.action.kind === 'forward' || (answer.action.kind === 'dial' && answer.action.ringing.length === 0);
}

/** `Local/101@phones-00000003;1`, `PJSIP/101-0000002a`: the channel dialled for this extension. */
function channelDials(channel: string, extension: string): boolean {
  const m = /^[A-Za-z0-9]+\/([^@/;-]+)/.exec(channel);
  return m?.[1] === extension;
}
