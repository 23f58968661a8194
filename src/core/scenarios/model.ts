import type { MessageStep } from './message-model.ts';
import type { AnyManagerStep, ResponsibleStep } from './responsible-step.ts';

/**
 * Inbound scenarios after validation (rules/inbound.yaml): inbound numbers (DIDs) bound to
 * scenarios, each an ordered list of steps. Plain immutable data; the step machine reads it.
 */

/** How a group's members are rung (Asterisk Queue's strategies where it keeps the memory). */
export type GroupStrategy = 'all' | 'order' | 'wrandom' | 'rrmemory' | 'leastrecent';
export const GROUP_STRATEGIES: readonly GroupStrategy[] = ['all', 'order', 'wrandom', 'rrmemory', 'leastrecent'];

export interface GroupMember {
  /** A Bitrix24 user (their extension is dialled), or null when given by extension. */
  readonly user: string | null;
  /** An extension dialled directly, or null when given by user. */
  readonly extension: string | null;
  /** wrandom: the member's share (seed 001's percentages); others ignore it. */
  readonly weight: number;
}

export interface Group {
  readonly id: string;
  readonly name: string;
  readonly strategy: GroupStrategy;
  /** Seconds each member rings (order, wrandom), or the whole group rings (all, rrmemory, leastrecent). */
  readonly ringTime: number;
  readonly members: readonly GroupMember[];
}

/** A weekly range in the rules' time zone: days 1 = Monday … 7 = Sunday, `from` inclusive, `to` exclusive (HH:MM). */
export interface TimeRange {
  readonly days: readonly number[];
  readonly from: string;
  readonly to: string;
}

export type Step =
  /** Play a file; `seconds` null = to its end, else cut after that many seconds. */
  | { readonly kind: 'play'; readonly file: string; readonly seconds: number | null }
  /** Wait for an extension dialled in tone mode; timeout or an unknown number → the next step. */
  | { readonly kind: 'extension'; readonly prompt: string | null; readonly timeout: number; readonly maxDigits: number; readonly ringTime: number }
  | { readonly kind: 'group'; readonly group: string }
  | { readonly kind: 'employee'; readonly user: string; readonly ringTime: number }
  /** A number outside, through the connector's outbound routing (origin `inbound`). */
  | { readonly kind: 'external'; readonly number: string; readonly ringTime: number }
  /** A SIP address, dialled as given (an Asterisk dial string). */
  | { readonly kind: 'sip'; readonly address: string; readonly ringTime: number }
  /**
   * IVR branch: a key → a scenario. No key in time → `onTimeout`, a key not listed → `onInvalid`
   * (null = the next step), after the prompt has been played `tries` times.
   */
  | {
    readonly kind: 'ivr';
    readonly prompt: string;
    readonly timeout: number;
    readonly tries: number;
    readonly keys: Readonly<Record<string, string>>;
    readonly onTimeout: string | null;
    readonly onInvalid: string | null;
  }
  /** Inside one of the ranges and not on a holiday → `inside`; else `outside` (null = the next step). */
  | {
    readonly kind: 'time';
    readonly ranges: readonly TimeRange[];
    readonly holidays: readonly string[];
    readonly inside: string | null;
    readonly outside: string | null;
  }
  | { readonly kind: 'goto'; readonly scenario: string }
  | { readonly kind: 'hangup' }
  | MessageStep
  | ResponsibleStep
  | AnyManagerStep;

export type StepKind = Step['kind'];

export interface Scenario {
  readonly id: string;
  readonly name: string;
  /** The department whose trunk policy the scenario's outgoing forwards use (DECISIONS §8). */
  readonly department: string | null;
  /** CRM_CREATE of `register` for calls of this scenario; null = crm.yaml's createLeads. */
  readonly createLeads: boolean | null;
  /** The Bitrix24 user a call is registered with when it is redirected outside before any manager's phone rang (TYPE 3). */
  readonly crmUser?: string | null;
  readonly steps: readonly Step[];
}

export interface InboundNumber {
  /** The DID in E.164. */
  readonly number: string;
  readonly scenario: string;
  /** The Bitrix24 line the call is registered with (LINE_NUMBER); default: the number. */
  readonly line: string | null;
}

export interface InboundRules {
  readonly numbers: readonly InboundNumber[];
  readonly scenarios: readonly Scenario[];
  readonly groups: readonly Group[];
  /** Dial string of an employee's phone; `{extension}` is replaced (e.g. `PJSIP/{extension}`). */
  readonly phoneDial: string;
  /** Who owns a missed call that rang no responsible manager and nobody else (a Bitrix24 user), or null. */
  readonly missedCallOwner?: string | null;
}

export const NO_INBOUND: InboundRules = Object.freeze({ numbers: [], scenarios: [], groups: [], phoneDial: 'PJSIP/{extension}' });
