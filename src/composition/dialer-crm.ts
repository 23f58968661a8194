import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { OutboxResults } from '../app/crm/crm-events.ts';
import { dialerRegisterKey, planDialerRegister } from '../app/crm/dialer-card-writes.ts';
import type { NewOutboxEntry } from '../app/crm/handoff-ports.ts';
import type { LeadCard } from '../app/dialer/ports.ts';
import type { CompiledRules } from '../core/rules/compile.ts';

export interface LeadCardDeps {
  readonly outbox: {
    enqueue(entry: NewOutboxEntry, now: number): Promise<{ readonly id: number }>;
    getByKey(key: string): Promise<{ readonly id: number } | null>;
  };
  /** The outbox worker: woken for the register, and waited on for its CALL_ID. */
  readonly results: OutboxResults;
  /** The Bitrix24 gateway once the app is installed (the show). */
  readonly gateway: () => B24Gateway | null;
  readonly rules: { current(): CompiledRules };
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * The lead's card over Bitrix24 REST. The register (outgoing, TYPE 1, with the operator and the
 * lead's CRM entity, SHOW 0) goes into the CRM outbox like every other CRM write: retried while
 * the portal is down, and the call's finish waits for it. The show
 * (telephony.externalcall.show) is on the way of an answered call: it waits for the register's
 * CALL_ID and sends within the deadline, or not at all.
 */
export function bitrix24LeadCard(d: LeadCardDeps): LeadCard {
  return {
    async register(input) {
      const write = planDialerRegister({ ...input, startedAt: input.at }, d.rules.current());
      if (write === null) return;
      await d.outbox.enqueue({ dedupeKey: write.key, method: write.method, params: write.params }, d.now());
      d.results.notify();
    },
    async show(input, deadlineMs) {
      const started = d.now();
      const entry = await d.outbox.getByKey(dialerRegisterKey(input.callId));
      if (!entry) return false;
      const result = (await d.results.waitFor(entry.id, deadlineMs)) as { CALL_ID?: unknown } | null;
      const gw = d.gateway();
      const left = deadlineMs - (d.now() - started);
      if (typeof result?.CALL_ID !== 'string' || !gw || left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), left); });
      try {
        const res = await Promise.race([gw.call('telephony.externalcall.show', { CALL_ID: result.CALL_ID, USER_ID: input.operatorId }), late]);
        if (res === null) return false;
        if (!res.ok) throw new Error(`telephony.externalcall.show: ${res.error.code}: ${res.error.description}`);
        d.logger.debug({ crmCallId: result.CALL_ID, operator: input.operatorId }, 'dialer: lead card shown');
        return true;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
