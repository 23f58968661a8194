import type { AmiField } from '../../adapters/asterisk/ami/codec.ts';
import { STATE, type Channel } from './channel.ts';
import { runConnectorOutbound } from './connector-dialplan.ts';
import type { PbxEngine } from './engine.ts';
import type { OriginateParams, OriginateReporter } from './originate.ts';
import type { PhoneScript } from './scripts.ts';

/** The shipped asterisk/extensions_dialer.conf's customer context (progressive mode). */
export const DIALER_CUSTOMER_CONTEXT = 'b24pbx-dialer-customer';

export interface DialerPlayDeps {
  /** `${DEVICE_STATE(dev)}` of the operator's state device. */
  readonly deviceState: (device: string) => string;
  /** How the operator's phone (DIALER_OPERATOR_DIAL) answers. */
  readonly operatorPhone: (dial: string) => PhoneScript;
}

/** OriginateResponse Reason for a customer leg that was never answered (Asterisk's AST_CONTROL codes). */
function failureReason(dialStatus: string): number {
  if (dialStatus === 'BUSY') return 5;
  if (dialStatus === 'NOANSWER' || dialStatus === '') return 3;
  return 8;
}

/**
 * A progressive dialer call as extensions_dialer.conf plays it: `Local/DIGITS@b24pbx-dialer-customer`;
 * the `;2` half runs `connector-outbound` (the connector's route loop over FastAGI) and its hangup
 * handler reports `DialerCustomerEnd`. When the customer answers, the `;1` half (the Originate's
 * channel) enters `b24pbx-dialer-answered`: `DialerAnswered`, the operator's device state, Dial the
 * operator — `DialerBridged`, or `DialerOperatorMissed`/`DialerAbandoned`. Kept in step with that file.
 */
export async function playDialerOriginate(pbx: PbxEngine, p: OriginateParams, deps: DialerPlayDeps, report: OriginateReporter): Promise<void> {
  const resource = p.channel.slice('Local/'.length);
  const digits = resource.split('@')[0] ?? '';
  const [one, two] = pbx.createLocalPair(resource, undefined, { one: p.channelId, two: p.otherChannelId });
  for (const ch of [one, two]) for (const [k, v] of p.variables) pbx.setVar(ch, k.replace(/^_+/, ''), v);
  pbx.localBridge(one, two);
  const v = (name: string): string => one.vars.get(name) ?? '';
  const callId: AmiField = ['CallId', v('DIALER_CALL_ID')];
  pbx.newexten(two, 'Set', 'CHANNEL(hangup_handler_push)=b24pbx-dialer-end,s,1', 1);

  let operatorLeg: Promise<void> = Promise.resolve();
  two.onAnswered = () => {
    pbx.setState(one, STATE.Up);
    report({ response: 'Success', reason: 4 }, [['Response', 'Success'], ['Channel', one.name], ['Context', p.context ?? ''], ['Exten', p.exten ?? ''], ['Reason', '4'], ['Uniqueid', one.uniqueid]]);
    operatorLeg = answered(pbx, one, callId, deps);
  };
  const ended = await runConnectorOutbound(pbx, two, digits);
  if (pbx.clock.isClosed) return;
  const dialStatus = two.vars.get('DIALSTATUS') ?? '';
  // The hangup handler runs before the channel is gone.
  pbx.newexten(two, 'UserEvent', 'DialerCustomerEnd', 1);
  pbx.userEvent(two, 'DialerCustomerEnd', [callId, ['DialStatus', dialStatus], ['HangupCause', String(two.hangupCause)]]);
  pbx.hangup(two, ended.hangupCause);
  if (one.state !== STATE.Up) {
    report({ response: 'Failure', reason: failureReason(dialStatus) }, [['Response', 'Failure'], ['Channel', p.channel], ['Context', p.context ?? ''], ['Exten', p.exten ?? ''], ['Reason', String(failureReason(dialStatus))], ['Uniqueid', one.uniqueid]]);
  }
  await operatorLeg;
  pbx.hangup(one, ended.hangupCause);
}

/** `b24pbx-dialer-answered`: the answered customer is put through to the held operator, or hears the message. */
async function answered(pbx: PbxEngine, one: Channel, callId: AmiField, deps: DialerPlayDeps): Promise<void> {
  const v = (name: string): string => one.vars.get(name) ?? '';
  one.context = 'b24pbx-dialer-answered';
  pbx.newexten(one, 'UserEvent', 'DialerAnswered', 1);
  pbx.userEvent(one, 'DialerAnswered', [callId]);
  const abandon = (): void => {
    pbx.userEvent(one, 'DialerAbandoned', [callId]);
    pbx.newexten(one, 'Playback', 'vm-nobodyavail', 6);
  };
  if (deps.deviceState(v('DIALER_OPERATOR_STATE')) !== 'NOT_INUSE') return abandon();
  pbx.newexten(one, 'Dial', `${v('DIALER_OPERATOR_DIAL')},${v('DIALER_OPERATOR_RING')},U(b24pbx-dialer-bridged)`, 3);
  const phone = deps.operatorPhone(v('DIALER_OPERATOR_DIAL'));
  const ringMs = Number(v('DIALER_OPERATOR_RING') || '20') * 1000;
  if (phone.kind === 'answer' && (phone.afterMs ?? 0) < ringMs) {
    if ((phone.afterMs ?? 0) > 0) await pbx.clock.sleep(phone.afterMs ?? 0);
    pbx.userEvent(one, 'DialerBridged', [callId, ['Operator', v('DIALER_OPERATOR')]]);
    return;
  }
  if (phone.kind !== 'busy') await pbx.clock.sleep(ringMs);
  const status = phone.kind === 'busy' ? 'BUSY' : 'NOANSWER';
  pbx.userEvent(one, 'DialerOperatorMissed', [callId, ['Operator', v('DIALER_OPERATOR')], ['DialStatus', status]]);
  abandon();
}
