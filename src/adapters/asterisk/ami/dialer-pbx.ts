import { DIALER_CALL_PREFIX } from '../../../app/dialer/cycle.ts';
import type { Operator } from '../../../app/dialer/model.ts';
import type { DialerOriginate, DialerPbx, DialerPbxEvent } from '../../../app/dialer/ports.ts';
import type { AmiEvent } from './normalize.ts';
import type { OriginateRequest } from './originate-request.ts';

/** The AMI client's part the dialer uses (AmiClient has it). */
export interface DialerAmi {
  readonly connected: boolean;
  originate(req: OriginateRequest): Promise<{ actionId: string }>;
  action(fields: Record<string, string>): Promise<AmiEvent>;
}

/** The contexts of the shipped asterisk/extensions_dialer.conf. */
export const DIALER_CONTEXTS = Object.freeze({
  customer: 'b24pbx-dialer-customer',
  answered: 'b24pbx-dialer-answered',
  preview: 'b24pbx-dialer-preview',
  pooled: 'b24pbx-dialer-pooled',
});

/** How long a customer leg may take before it is answered: rotation may try several trunks. */
const ROUTE_ATTEMPTS_BUDGET = 5;

/**
 * The dialer's PBX side over AMI. Progressive: `Local/DIGITS@b24pbx-dialer-customer` runs the
 * connector's route loop on its `;2` half; once the customer answers, the `;1` half enters
 * b24pbx-dialer-answered and dials the held operator. Preview: the operator's phone is the
 * Originate's channel; once it answers it enters b24pbx-dialer-preview, which routes the customer.
 */
export class AmiDialerPbx implements DialerPbx {
  /** Originate ActionID → call id: a failed Originate's response may carry no Uniqueid. */
  private readonly byAction = new Map<string, string>();

  constructor(private readonly ami: DialerAmi) {}

  get connected(): boolean {
    return this.ami.connected;
  }

  async originate(r: DialerOriginate): Promise<void> {
    const variables: Record<string, string> = {
      __DIALER_CALL_ID: r.callId,
      ...(r.operator ? { __DIALER_OPERATOR: r.operator.id, __DIALER_OPERATOR_DIAL: r.operator.dial, __DIALER_OPERATOR_STATE: r.operator.stateDevice } : {}),
      __DIALER_OPERATOR_RING: String(r.operatorRingSeconds),
      // The route requests find the stored call by this id (the same contract as a click-to-call).
      __CONNECTOR_CALL_ID: r.callId,
      ...(r.amd ? { DIALER_AMD: '1' } : {}),
    };
    const req: OriginateRequest = r.operator === null
      ? {
        // Ratio/predictive: no operator yet; b24pbx-dialer-pooled waits for the one the connector sets.
        channel: `Local/${r.digits}@${DIALER_CONTEXTS.customer}`,
        context: DIALER_CONTEXTS.pooled, exten: 's', priority: '1',
        timeoutMs: (r.ringSeconds * ROUTE_ATTEMPTS_BUDGET + 30) * 1000,
        callerId: `"+${r.digits}" <${r.digits}>`,
        channelId: r.channelId, otherChannelId: r.otherChannelId, variables,
      }
      : r.mode === 'progressive'
      ? {
        channel: `Local/${r.digits}@${DIALER_CONTEXTS.customer}`,
        context: DIALER_CONTEXTS.answered, exten: 's', priority: '1',
        timeoutMs: (r.ringSeconds * ROUTE_ATTEMPTS_BUDGET + 30) * 1000,
        // The operator's phone shows the customer's number.
        callerId: `"+${r.digits}" <${r.digits}>`,
        channelId: r.channelId, otherChannelId: r.otherChannelId, variables,
      }
      : {
        channel: r.operator.dial,
        context: DIALER_CONTEXTS.preview, exten: r.digits, priority: '1',
        timeoutMs: r.operatorRingSeconds * 1000,
        callerId: `"+${r.digits}" <${r.digits}>`,
        channelId: r.channelId, otherChannelId: r.otherChannelId, variables,
      };
    const { actionId } = await this.ami.originate(req);
    this.byAction.set(actionId, r.callId);
    if (this.byAction.size > 10_000) this.byAction.delete(this.byAction.keys().next().value as string);
  }

  /** The operator's variables on the waiting channel; DIALER_OPERATOR_DIAL last, as the dialplan waits for it. */
  async assignOperator(channelId: string, operator: Pick<Operator, 'id' | 'dial' | 'stateDevice'>): Promise<void> {
    for (const [name, value] of [['__DIALER_OPERATOR', operator.id], ['__DIALER_OPERATOR_STATE', operator.stateDevice], ['__DIALER_OPERATOR_DIAL', operator.dial]] as const) {
      const res = await this.ami.action({ Action: 'Setvar', Channel: channelId, Variable: name, Value: value });
      if ((res.response ?? '').toLowerCase() !== 'success') throw new Error(`Setvar ${name} on ${channelId}: ${res.message ?? 'failed'}`);
    }
  }

  async deviceStates(devices: readonly string[]): Promise<Map<string, string>> {
    const unique = [...new Set(devices)];
    const states = await Promise.all(unique.map(async (d) => {
      const res = await this.ami.action({ Action: 'Getvar', Variable: `DEVICE_STATE(${d})` });
      return [d, (res.value ?? 'UNKNOWN').toUpperCase()] as const;
    }));
    return new Map(states);
  }

  /** The dialer's reading of an AMI event; null for anything else. */
  eventOf(e: AmiEvent): DialerPbxEvent | null {
    if (e.event === 'UserEvent') {
      const callId = e.callid ?? '';
      if (callId === '') return null;
      switch (e.userevent) {
        case 'DialerAnswered': return { kind: 'answered', callId };
        case 'DialerBridged': return { kind: 'bridged', callId, operatorId: e.operator ?? '' };
        case 'DialerAbandoned': return { kind: 'abandoned', callId };
        case 'DialerMachine': return { kind: 'machine', callId };
        case 'DialerOperatorMissed': return { kind: 'operator-missed', callId, operatorId: e.operator ?? '', dialStatus: e.dialstatus ?? '' };
        case 'DialerCustomerEnd': {
          const cause = Number.parseInt(e.hangupcause ?? '', 10);
          return { kind: 'customer-end', callId, dialStatus: (e.dialstatus ?? '').toUpperCase(), hangupCause: Number.isFinite(cause) ? cause : null };
        }
        default: return null;
      }
    }
    if (e.event === 'OriginateResponse' && (e.response ?? '').toLowerCase() === 'failure') {
      const uid = e.uniqueid ?? '';
      const byId = uid.startsWith(DIALER_CALL_PREFIX) && uid.endsWith('-a') ? uid.slice(0, -2) : null;
      const callId = this.byAction.get(e.actionid ?? '') ?? byId;
      if (callId === null || callId === undefined) return null;
      this.byAction.delete(e.actionid ?? '');
      return { kind: 'originate-failed', callId, reason: `reason ${e.reason ?? '?'}` };
    }
    return null;
  }
}
