import type { CarrierInfo } from '../numbering/carrier.ts';
import type { PhoneNumber } from '../phone/normalize.ts';
import type { CallOrigin } from '../rules/model.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';

/** What the PBX or the CRM asks: route this call. */
export interface RouteRequest {
  /** Bitrix24 user id of the caller (click-to-call), or null when only the extension is known. */
  readonly user?: string | null;
  /** The caller's extension (desk-phone calls). */
  readonly extension?: string | null;
  /**
   * A call placed on no employee's behalf (an inbound scenario's forward, a dialer's customer leg):
   * the department whose policy and caller-ID numbers it takes (DECISIONS §8). Used only when
   * neither user nor extension is given.
   */
  readonly department?: string | null;
  /** The callee as received; normalised by the core. */
  readonly number: string;
  /**
   * The number is in international form already (Bitrix24's PHONE_NUMBER_INTERNATIONAL,
   * DECISIONS §1): normalise it without assuming the default country.
   */
  readonly numberIsInternational?: boolean;
  readonly origin: CallOrigin;
  /** Bitrix24 LINE_NUMBER: the manager's manual line choice; empty/null/`auto` = automatic. */
  readonly line?: string | null;
  /** Channels in use per trunk id right now (trunks at capacity are skipped). */
  readonly busyChannels?: Readonly<Record<string, number>>;
  /** Trunk ids disabled at run time (e.g. a gateway marked down), on top of the rules. */
  readonly downTrunks?: readonly string[];
  /** Trunks out of routes right now: breaker open or SIM limit reached. */
  readonly health?: HealthSnapshot;
}

/** Why a trunk is in the attempt list: the tier it was placed in (DECISIONS §5). */
export type Tier = 'manual' | 'on-net' | 'mask' | 'default' | 'universal' | 'off-net';

export interface Attempt {
  readonly trunk: string;
  /** The Asterisk dial string for this trunk and number. */
  readonly dial: string;
  /** The number presented (E.164), chosen among the numbers this trunk can present. */
  readonly callerId: string | null;
  readonly tier: Tier;
  /** Per-minute price to this destination on this trunk. */
  readonly perMinute: number;
  /** Dial timeout in seconds. */
  readonly ringTimeout: number;
  /** Human explanation; filled only when the decision was asked with `explain` (DECISIONS §28). */
  readonly reason?: string;
  /** Which caller-ID rule picked callerId; only with `explain`. */
  readonly callerIdReason?: string;
}

export type RefusalCode =
  | 'INVALID_NUMBER'
  | 'UNKNOWN_USER'
  | 'NO_POLICY'
  | 'NO_ALLOWED_TRUNK'
  | 'LINE_NOT_ALLOWED'
  | 'LINE_UNAVAILABLE'
  | 'UNKNOWN_LINE';

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
}

export interface RouteDecision {
  /** Null only when the number itself was invalid. */
  readonly number: PhoneNumber | null;
  readonly carrier: CarrierInfo;
  readonly user: string | null;
  readonly extension: string | null;
  readonly departments: readonly string[];
  /** The manual line was used (it must not be rotated away from unless the policy allows). */
  readonly manualLine: string | null;
  readonly rotateAfterManualLine: boolean;
  readonly attempts: readonly Attempt[];
  readonly refused: Refusal | null;
  /** Step-by-step trace; only with `explain`. */
  readonly trace?: readonly string[];
}
