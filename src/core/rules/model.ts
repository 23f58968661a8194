import type { InboundRules } from '../scenarios/model.ts';

/**
 * The routing rules after validation: plain immutable data. The loader (src/adapters/rules)
 * turns rules/*.yaml into this; the routing core only ever reads it.
 */

import type { Increment } from './billing.ts';

/**
 * Where a call comes from: a CRM click, a desk phone, the mobile app, an inbound call the
 * connector forwards out, or the auto-dialer's customer leg (DECISIONS §8, §13).
 */
export type CallOrigin = 'crm' | 'phone' | 'mobile' | 'inbound' | 'dialer';
export const CALL_ORIGINS: readonly CallOrigin[] = ['crm', 'phone', 'mobile', 'inbound', 'dialer'];

/** How a trunk wants the number in its dial string. */
export type NumberFormat =
  | 'e164' // +79261234567
  | 'e164-digits' // 79261234567
  | 'national-8' // 89261234567 (Russian numbers; international ones become 810<digits>)
  | 'national-10'; // 9261234567 (Russian numbers only)

export type OutcomeDecision = 'rotate' | 'stop';

export interface Tariffs {
  /** Per-minute price by destination carrier key (on-net SIM prices are here). */
  readonly byCarrier: Readonly<Record<string, number>>;
  /** Per-minute price by destination prefix (E.164 digits, longest wins). */
  readonly byPrefix: readonly { readonly prefix: string; readonly perMinute: number }[];
  readonly default: number;
  /** How talk time is billed (absent: every started minute, 60/60). */
  readonly increment?: Increment;
}

export interface Trunk {
  readonly id: string;
  readonly name: string;
  readonly kind: 'gsm' | 'sip';
  /** The carrier of a GSM gateway's SIMs (on-net for that carrier's mobile numbers), null for SIP providers. */
  readonly carrier: string | null;
  /** Asterisk dial string template, e.g. `PJSIP/{number}@beeline-gw`. Macros: {number}, {digits}, {e164}, {trunk}, {host}, {port}, {server}. */
  readonly dial: string;
  /** The trunk's SIP server, port and dialling server, for the `{host}`, `{port}`, `{server}` dial macros; absent = not set. */
  readonly host?: string | null;
  readonly port?: number | null;
  readonly server?: string | null;
  readonly numberFormat: NumberFormat;
  /** Caller-ID numbers (E.164) this trunk can present. A GSM gateway has exactly its SIM's number. */
  readonly callerIds: readonly string[];
  readonly tariffs: Tariffs;
  /** Simultaneous channels; null = unlimited. */
  readonly channels: number | null;
  readonly enabled: boolean;
  /** Configured priority inside a tier after price: lower is tried first. */
  readonly priority: number;
  /** The Bitrix24 external line number this trunk is published as (manual choice arrives as LINE_NUMBER). */
  readonly line: string | null;
  /** International destinations go through a GSM trunk only when it says so (DECISIONS §5). */
  readonly international: boolean;
  /** Per-trunk overrides of the rotate/stop rule, keyed by Q.850 cause (DECISIONS §9). */
  readonly causeOverrides: Readonly<Record<number, OutcomeDecision>>;
  /** Dial timeout in seconds for one attempt. */
  readonly ringTimeout: number;
  /** When technical failures take this trunk out of routes (its own, else routing.yaml's defaults). */
  readonly breaker: BreakerSettings;
  /** A GSM trunk's SIM limits; null = none. */
  readonly limits: SimLimits | null;
}

/** Circuit breaker: `failures` technical failures within `windowSeconds` → out of routes for `openSeconds`. */
export interface BreakerSettings {
  readonly failures: number;
  readonly windowSeconds: number;
  readonly openSeconds: number;
}

/** 5 technical failures within a minute take a trunk out for 2 minutes (routing.yaml may change it). */
export const DEFAULT_BREAKER: BreakerSettings = Object.freeze({ failures: 5, windowSeconds: 60, openSeconds: 120 });

/** What a carrier tolerates from one SIM before it blocks it; each null = no limit. */
export interface SimLimits {
  readonly callsPerHour: number | null;
  readonly callsPerDay: number | null;
  readonly minutesPerDay: number | null;
  /** Seconds between the starts of two calls on this SIM. */
  readonly minGapSeconds: number | null;
}

export interface Department {
  readonly id: string;
  readonly name: string;
  /** Parent Bitrix24 department id (departments nest; DECISIONS §8). */
  readonly parent: string | null;
  /** Null = this department has no policy of its own (inherit from the parent). */
  readonly policy: DepartmentPolicy | null;
}

export interface DepartmentPolicy {
  /** The trunk whitelist. */
  readonly trunks: readonly string[];
  /** Where unknown carriers go (seed 004: Beeline). */
  readonly defaultTrunk: string | null;
  /** Rotate away from a manually chosen line after a technical failure (DECISIONS §7; default false). */
  readonly rotateAfterManualLine: boolean;
  /** The last tier: other allowed trunks, off-net (DECISIONS §5; default true). */
  readonly offNetFallback: boolean;
}

export interface User {
  /** Bitrix24 user id. */
  readonly id: string;
  readonly name: string | null;
  readonly extension: string | null;
  readonly departments: readonly string[];
}

/** Seed 000: number masks → trunk. `+7928*******`: fixed digits, `*` = any one digit. */
export interface MaskRule {
  readonly mask: string;
  readonly trunk: string;
  readonly priority: number;
}

export interface PersonalCallerId {
  readonly number: string;
  readonly user: string | null;
  readonly department: string | null;
  /** Null = every origin. */
  readonly origins: readonly CallOrigin[] | null;
}

export interface RegionalCallerId {
  readonly number: string;
  /** ISO alpha-2 destination country, or null when by prefix. */
  readonly country: string | null;
  /** Destination prefix in E.164 digits, or null when by country. */
  readonly prefix: string | null;
}

export interface CallerIdRules {
  readonly main: string | null;
  readonly personal: readonly PersonalCallerId[];
  readonly regional: readonly RegionalCallerId[];
  /** Disabled numbers are never presented. */
  readonly disabled: readonly string[];
  readonly priority: 'regional-first' | 'personal-first';
}

/** Whose calls are written to Bitrix24, and which numbers never are (DECISIONS §18). */
export interface CrmRules {
  readonly whitelist: {
    readonly users: readonly string[];
    readonly extensions: readonly string[];
    readonly departments: readonly string[];
  };
  readonly excluded: {
    readonly numbers: readonly string[];
    readonly prefixes: readonly string[];
  };
  /** Finish click-to-calls of non-whitelisted users anyway instead of hiding them. */
  readonly finishNonWhitelisted: boolean;
  /** CRM_CREATE for registered desk-phone calls. */
  readonly createLeads: boolean;
}

export interface Rules {
  readonly trunks: readonly Trunk[];
  readonly departments: readonly Department[];
  readonly users: readonly User[];
  readonly masks: readonly MaskRule[];
  readonly callerIds: CallerIdRules;
  readonly crm: CrmRules;
  readonly maxAttempts: number;
  /** Country assumed for national input on desk phones and the CLI. */
  readonly defaultCountry: string;
  /** IANA time zone of the call centre: daily SIM limits reset at its midnight; explain prints its times. */
  readonly timezone: string;
  /** Inbound numbers and their scenarios (inbound.yaml; none when the file is absent). */
  readonly inbound?: InboundRules;
}
