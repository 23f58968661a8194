import type { CountryCode } from 'libphonenumber-js';
import type { B24Gateway } from '../../adapters/bitrix24/gateway.ts';
import { describeFailure } from '../../adapters/bitrix24/errors.ts';
import type { Logger } from '../../adapters/logging/logger.ts';
import { normalizePhone } from '../../core/phone/normalize.ts';
import type { ResponsibleFacts } from '../../core/scenarios/responsible-step.ts';

export interface ResponsibleLookupDeps {
  /** Reads through the urgent lane of the rate limiter; null while no portal is installed. */
  readonly gateway: () => B24Gateway | null;
  readonly defaultCountry: () => string;
  readonly now: () => number;
  readonly logger: Logger;
  /** How long an answer is reused (the phones are read again when the extension did not answer). */
  readonly ttlMs?: number;
}

const MAX_CACHED = 5000;

/**
 * The caller's responsible manager: `telephony.externalCall.searchCrmEntities` by the caller's
 * number, the first entity with an ASSIGNED_BY (Bitrix24 lists contacts, companies, leads). Too
 * late or failed = not found; a late answer still fills the cache for the call's next step.
 */
export class ResponsibleLookup {
  private readonly cache = new Map<string, { readonly at: number; readonly facts: ResponsibleFacts | null }>();

  constructor(private readonly deps: ResponsibleLookupDeps) {}

  async find(caller: string, timeoutMs: number): Promise<ResponsibleFacts | null> {
    const now = this.deps.now();
    const hit = this.cache.get(caller);
    if (hit && now - hit.at < (this.deps.ttlMs ?? 600_000)) return hit.facts;
    const gateway = this.deps.gateway();
    if (!gateway) return null;
    const lookup = this.fetch(gateway, caller);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    try {
      return await Promise.race([lookup, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(gateway: B24Gateway, caller: string): Promise<ResponsibleFacts | null> {
    try {
      const found = await gateway.call('telephony.externalcall.searchCrmEntities', { PHONE_NUMBER: caller });
      if (!found.ok) {
        this.deps.logger.warn({ reason: describeFailure(found.error) }, 'inbound: the responsible manager lookup failed');
        return null;
      }
      const facts = factsOf(found.result, this.deps.defaultCountry());
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(caller, { at: this.deps.now(), facts });
      return facts;
    } catch (err) {
      this.deps.logger.warn({ err }, 'inbound: the responsible manager lookup failed');
      return null;
    }
  }
}

/** The first entity's ASSIGNED_BY as facts; phones: PERSONAL_MOBILE then WORK_PHONE, normalised. */
export function factsOf(result: unknown, defaultCountry: string): ResponsibleFacts | null {
  if (!Array.isArray(result)) return null;
  for (const e of result as Record<string, unknown>[]) {
    const by = (typeof e?.ASSIGNED_BY === 'object' && e.ASSIGNED_BY !== null ? e.ASSIGNED_BY : {}) as Record<string, unknown>;
    const user = String(by.ID ?? e?.ASSIGNED_BY_ID ?? '').trim();
    if (!/^\d{1,10}$/.test(user) || user === '0') continue;
    const phones: string[] = [];
    for (const field of ['PERSONAL_MOBILE', 'WORK_PHONE']) {
      const raw = typeof by[field] === 'string' ? (by[field] as string).trim() : '';
      if (raw === '') continue;
      const n = normalizePhone(raw, { defaultCountry: defaultCountry as CountryCode });
      if (n.ok && !phones.includes(n.number.e164)) phones.push(n.number.e164);
    }
    const inner = typeof by.USER_PHONE_INNER === 'string' && /^\d{1,10}$/.test(by.USER_PHONE_INNER.trim()) ? by.USER_PHONE_INNER.trim() : null;
    const timeman = typeof by.TIMEMAN_STATUS === 'string' && by.TIMEMAN_STATUS.trim() !== '' ? by.TIMEMAN_STATUS.trim().toUpperCase() : null;
    return { user, extension: inner, phones, timeman };
  }
  return null;
}
