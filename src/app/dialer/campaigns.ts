import { isKnownTimezone } from '../../core/pacing/local-time.ts';
import { ABANDON_WINDOWS, type AbandonWindowName } from '../../core/pacing/abandon-window.ts';
import { DEFAULT_PACING_CONFIG } from '../../core/pacing/pacer.ts';
import {
  DIAL_MODES, MIN_RING_SECONDS, defaultPacing, parseWindow, type AmdSettings, type DialMode, type PacingSettings, type PooledPacing, type TimeWindow,
} from '../../core/pacing/settings.ts';
import { normalizePhone } from '../../core/phone/normalize.ts';
import type { Campaign, CampaignSource, CampaignStatus, NewLead } from './model.ts';
import type { CampaignStore, LeadStore } from './ports.ts';

/** What an admin gives for a new or changed campaign (CLI flags, the API's JSON). */
export interface CampaignInput {
  readonly id: string;
  readonly name?: string;
  readonly department: string;
  readonly operators: readonly string[];
  readonly mode?: string;
  /** "09:00-21:00" in the callee's own time. */
  readonly hours?: string;
  readonly quiet?: readonly string[];
  readonly retry?: Partial<Record<'noAnswer' | 'unreachable' | 'busy' | 'technical', number>>;
  readonly maxAttempts?: number;
  readonly caps?: Partial<Record<'perDay' | 'perWeek' | 'perMonth', number | null>>;
  readonly timezone?: string;
  readonly ringSeconds?: number;
  /** After-call work: seconds an operator is left alone after each customer they talked to (default 0). */
  readonly wrapUpSeconds?: number;
  readonly source?: CampaignSource | null;
  /** Ratio mode: calls per free operator (default 1.2). */
  readonly ratio?: number;
  /** Predictive: abandoned calls, percent of answered (default 3), over `abandonWindow` (24h | 30d). */
  readonly abandonTarget?: number;
  readonly abandonWindow?: string;
  /** Answering-machine detection on/off; its false-positive rate in percent (default 5). */
  readonly amd?: boolean;
  readonly amdFalsePositive?: number;
}

export class DialerInputError extends Error {}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;

function positive(what: string, v: number | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < 0) throw new DialerInputError(`${what} must be a whole number ≥ 0 (got ${String(v)})`);
  return v;
}

function window(what: string, text: string): TimeWindow {
  const w = parseWindow(text);
  if (!w) throw new DialerInputError(`${what} "${text.slice(0, 40)}" is not HH:MM-HH:MM`);
  return w;
}

/** Validates a campaign's settings; every problem names the field. Nothing is stored on error. */
export function campaignSettings(input: CampaignInput, defaultTimezone: string, base?: PacingSettings): PacingSettings {
  const d = base ?? defaultPacing(defaultTimezone);
  const requested = input.mode ?? d.pooled?.mode ?? d.mode;
  if (!CAMPAIGN_MODES.includes(requested)) throw new DialerInputError(`mode must be one of ${CAMPAIGN_MODES.join(', ')} (got "${String(input.mode)}")`);
  // Ratio and predictive place their customer legs the progressive way (customer first).
  const mode: DialMode = requested === 'preview' ? 'preview' : 'progressive';
  const timezone = input.timezone ?? d.fallbackTimezone;
  if (!isKnownTimezone(timezone)) throw new DialerInputError(`timezone "${timezone.slice(0, 60)}" is not an IANA timezone`);
  const ringSeconds = positive('ringSeconds', input.ringSeconds, d.ringSeconds);
  if (ringSeconds < MIN_RING_SECONDS) throw new DialerInputError(`ringSeconds must be at least ${MIN_RING_SECONDS} (a customer's phone rings that long before a no-answer)`);
  const wrapUpSeconds = positive('wrapUpSeconds', input.wrapUpSeconds, d.wrapUpSeconds ?? 0);
  if (wrapUpSeconds > MAX_WRAP_UP_SECONDS) throw new DialerInputError(`wrapUpSeconds must be at most ${MAX_WRAP_UP_SECONDS} (got ${wrapUpSeconds})`);
  const caps = input.caps ?? {};
  const cap = (k: 'perDay' | 'perWeek' | 'perMonth') => (caps[k] === undefined ? d.caps[k] : caps[k] === null ? null : positive(`caps.${k}`, caps[k] ?? undefined, 0));
  return {
    mode,
    callingHours: input.hours !== undefined ? window('hours', input.hours) : d.callingHours,
    quietHours: input.quiet !== undefined ? input.quiet.map((q) => window('quiet', q)) : d.quietHours,
    retry: {
      noAnswer: positive('retry.noAnswer', input.retry?.noAnswer, d.retry.noAnswer),
      unreachable: positive('retry.unreachable', input.retry?.unreachable, d.retry.unreachable),
      busy: positive('retry.busy', input.retry?.busy, d.retry.busy),
      technical: positive('retry.technical', input.retry?.technical, d.retry.technical),
    },
    maxAttempts: Math.max(1, positive('maxAttempts', input.maxAttempts, d.maxAttempts)),
    caps: { perDay: cap('perDay'), perWeek: cap('perWeek'), perMonth: cap('perMonth') },
    fallbackTimezone: timezone,
    ringSeconds,
    wrapUpSeconds,
    pooled: requested === 'ratio' || requested === 'predictive' ? pooledPacing(requested, input, d.pooled ?? null) : null,
    amd: amdSettings(input, d.amd ?? null),
  };
}

const CAMPAIGN_MODES: readonly string[] = [...DIAL_MODES, 'ratio', 'predictive'];
/** An hour: longer is an operator who should go off line instead. */
const MAX_WRAP_UP_SECONDS = 3600;

function pooledPacing(mode: 'ratio' | 'predictive', input: CampaignInput, base: PooledPacing | null): PooledPacing {
  const ratio = input.ratio ?? base?.ratio ?? DEFAULT_PACING_CONFIG.ratio;
  if (!Number.isFinite(ratio) || ratio < 1 || ratio > 20) throw new DialerInputError(`ratio must be a number from 1 to 20 (got ${String(input.ratio)})`);
  const target = input.abandonTarget ?? base?.abandonTargetPct ?? DEFAULT_PACING_CONFIG.abandonTargetPct;
  if (!Number.isFinite(target) || target <= 0 || target > 50) throw new DialerInputError(`abandonTarget must be a percentage above 0 and at most 50 (got ${String(input.abandonTarget)})`);
  const window = input.abandonWindow ?? base?.abandonWindow ?? '24h';
  if (!(window in ABANDON_WINDOWS)) throw new DialerInputError(`abandonWindow must be one of ${Object.keys(ABANDON_WINDOWS).join(', ')} (got "${window.slice(0, 20)}")`);
  return { mode, ratio, abandonTargetPct: target, abandonWindow: window as AbandonWindowName, minOperators: base?.minOperators ?? DEFAULT_PACING_CONFIG.minOperators };
}

function amdSettings(input: CampaignInput, base: AmdSettings | null): AmdSettings | null {
  const on = input.amd ?? base !== null;
  if (!on) return null;
  const fp = input.amdFalsePositive ?? base?.falsePositivePct ?? 5;
  if (!Number.isFinite(fp) || fp < 0 || fp > 100) throw new DialerInputError(`amdFalsePositive must be a percentage from 0 to 100 (got ${String(input.amdFalsePositive)})`);
  return { falsePositivePct: fp };
}

export interface CampaignAdmin {
  readonly store: CampaignStore & LeadStore;
  readonly now: () => number;
  readonly defaultTimezone: string;
  /** Whether the department exists in the rules (its policy is what the customer legs use). */
  readonly knownDepartment: (id: string) => boolean;
}

/** Creates or changes a campaign (its status stays as it was; a new one is a draft). */
export async function saveCampaign(deps: CampaignAdmin, input: CampaignInput): Promise<Campaign> {
  if (!ID.test(input.id)) throw new DialerInputError(`campaign id "${input.id.slice(0, 40)}" must be 1-64 letters, digits, _ . -`);
  if (!deps.knownDepartment(input.department)) throw new DialerInputError(`department "${input.department.slice(0, 40)}" is not in the rules (departments.yaml or Bitrix24)`);
  for (const op of input.operators) if (!ID.test(op)) throw new DialerInputError(`operator id "${op.slice(0, 40)}" is not a Bitrix24 user id`);
  const existing = await deps.store.getCampaign(input.id);
  const campaign: Campaign = {
    id: input.id,
    name: input.name ?? existing?.name ?? input.id,
    status: existing?.status ?? 'draft',
    department: input.department,
    operators: [...new Set(input.operators)],
    settings: campaignSettings(input, deps.defaultTimezone, existing?.settings),
    source: input.source !== undefined ? input.source : existing?.source ?? null,
    createdAt: existing?.createdAt ?? deps.now(),
  };
  await deps.store.saveCampaign(campaign);
  return campaign;
}

export async function setCampaignStatus(deps: CampaignAdmin, id: string, status: CampaignStatus): Promise<void> {
  if (!(await deps.store.setStatus(id, status, deps.now()))) throw new DialerInputError(`no campaign "${id.slice(0, 64)}"`);
}

/** A number as a lead, or why not (the line it came from is named by the caller). */
export function leadOf(raw: { number: string; entityType?: string | null; entityId?: string | null; title?: string | null }, defaultCountry: string): NewLead | string {
  const parsed = normalizePhone(raw.number, { defaultCountry: defaultCountry as 'RU' });
  if (!parsed.ok) return parsed.message;
  return { number: raw.number.trim(), digits: parsed.number.digits, entityType: raw.entityType ?? null, entityId: raw.entityId ?? null, title: raw.title ?? null };
}

export interface ImportResult {
  readonly added: number;
  readonly duplicates: number;
  /** "line N: why" for every number that is not one. */
  readonly rejected: readonly string[];
}

/**
 * Leads from a CSV file: one per line, `number[,title[,entityType,entityId]]` (`;` works too);
 * a header line is skipped. Bad numbers are listed by line and not imported; the rest are.
 */
export async function importCsvLeads(deps: CampaignAdmin, campaignId: string, text: string, defaultCountry: string): Promise<ImportResult> {
  if (!(await deps.store.getCampaign(campaignId))) throw new DialerInputError(`no campaign "${campaignId.slice(0, 64)}"`);
  const leads: NewLead[] = [];
  const rejected: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const cells = line.split(/[;,]/).map((c) => c.trim().replace(/^"|"$/g, ''));
    const number = cells[0] ?? '';
    if (number === '' || (i === 0 && !/\d/.test(number))) return;
    const lead = leadOf({ number, title: cells[1] || null, entityType: cells[2] || null, entityId: cells[3] || null }, defaultCountry);
    if (typeof lead === 'string') rejected.push(`line ${i + 1}: ${lead}`);
    else leads.push(lead);
  });
  const r = await deps.store.addLeads(campaignId, leads, deps.now());
  return { ...r, rejected };
}

/** Which numbers of Bitrix24 a campaign takes. */
export type CrmSourceQuery =
  | { readonly kind: 'leads'; readonly filter: Readonly<Record<string, string>> }
  /** Deals by a filter: each deal is called on its contact's (else its company's) phone. */
  | { readonly kind: 'deals'; readonly filter: Readonly<Record<string, string>> }
  /** A CRM call list (its contacts or companies), optionally only the items of one call status. */
  | { readonly kind: 'call-list'; readonly listId: number; readonly status?: string };

/** One CRM record with its phones, as the CRM adapter reads it. */
export interface CrmNumberRow {
  /** How the import names it in a rejection ("lead 7", "deal 12", "call list 3 contact 9"). */
  readonly ref: string;
  /** The entity the card is registered with (LEAD, CONTACT or COMPANY), or null. */
  readonly entityType: string | null;
  readonly entityId: string | null;
  readonly title: string | null;
  readonly phones: readonly string[];
}

/** Bitrix24 as a source of numbers: leads or deals by a filter, or a call list. */
export interface CrmLeadSource {
  list(query: CrmSourceQuery): Promise<CrmNumberRow[]>;
}

/** Each record's first phone becomes a lead; records without a usable phone are listed, not imported. */
export async function importCrmLeads(deps: CampaignAdmin, campaignId: string, source: CrmLeadSource, query: CrmSourceQuery, defaultCountry: string): Promise<ImportResult> {
  if (!(await deps.store.getCampaign(campaignId))) throw new DialerInputError(`no campaign "${campaignId.slice(0, 64)}"`);
  const leads: NewLead[] = [];
  const rejected: string[] = [];
  for (const r of await source.list(query)) {
    const phone = r.phones[0];
    if (phone === undefined) {
      rejected.push(`${r.ref}: no phone`);
      continue;
    }
    const lead = leadOf({ number: phone, title: r.title, entityType: r.entityType, entityId: r.entityId }, defaultCountry);
    if (typeof lead === 'string') rejected.push(`${r.ref}: ${lead}`);
    else leads.push(lead);
  }
  const r = await deps.store.addLeads(campaignId, leads, deps.now());
  return { ...r, rejected };
}
