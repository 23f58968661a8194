import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { LeadCard } from '../app/dialer/ports.ts';

/**
 * The lead's card over Bitrix24 REST: the call is registered as outgoing (TYPE 1) with the
 * operator and the lead before it is placed (SHOW 0), and shown to the operator when the customer
 * answers (telephony.externalcall.show). Its `finish` goes through the outbox like every call's.
 */
export function bitrix24LeadCard(gateway: () => B24Gateway | null, logger: Logger): LeadCard {
  return {
    async register(input) {
      const gw = gateway();
      if (!gw) return null;
      const params: Record<string, unknown> = {
        USER_ID: input.operatorId, PHONE_NUMBER: input.e164, TYPE: 1, SHOW: 0, CRM_CREATE: 0,
        EXTERNAL_CALL_ID: input.externalId, CALL_START_DATE: new Date(input.at).toISOString(),
      };
      if (input.entityType !== null && input.entityId !== null) {
        params.CRM_ENTITY_TYPE = input.entityType;
        params.CRM_ENTITY_ID = input.entityId;
      }
      const res = await gw.call('telephony.externalcall.register', params);
      if (!res.ok) throw new Error(`telephony.externalcall.register: ${res.error.code}: ${res.error.description}`);
      const callId = (res.result as { CALL_ID?: unknown } | null)?.CALL_ID;
      return typeof callId === 'string' ? callId : null;
    },
    async show(crmCallId, operatorId) {
      const gw = gateway();
      if (!gw) return;
      const res = await gw.call('telephony.externalcall.show', { CALL_ID: crmCallId, USER_ID: operatorId });
      if (!res.ok) throw new Error(`telephony.externalcall.show: ${res.error.code}: ${res.error.description}`);
      logger.debug({ crmCallId, operator: operatorId }, 'dialer: lead card shown');
    },
  };
}
