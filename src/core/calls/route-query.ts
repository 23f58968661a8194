/** What a route request carries, from FastAGI (agi_arg_1..4, agi_* variables) or HTTP (query parameters in the same shape). */
export interface RouteArguments {
  /** agi_* variables without the prefix; `uniqueid` and `callerid` are read. */
  readonly vars: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

export interface RouteQuery {
  /** ${EXTEN}: the number dialled. */
  readonly exten: string;
  /** ${ATTEMPT}: 1 for the first attempt of the call. */
  readonly attemptNo: number;
  /** ${DIALSTATUS} / ${HANGUPCAUSE} of the previous attempt (empty / 0 on attempt 1). */
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  /** The requesting channel's uniqueid (a click-to-call's Originate ChannelId). */
  readonly uniqueid: string;
  /** The channel's caller number (agi_callerid), the last resort to identify a desk phone. */
  readonly callerIdNum: string | null;
}

/** agi_arg_1..4 = ${EXTEN},${ATTEMPT},${DIALSTATUS},${HANGUPCAUSE} → a route query, or why not. */
export function routeQueryOf(env: RouteArguments): { ok: true; query: RouteQuery } | { ok: false; problem: string } {
  const [exten = '', attempt = '', dialStatus = '', cause = ''] = env.args;
  const number = exten.trim();
  if (!/^\+?[0-9*#]{1,32}$/.test(number)) return { ok: false, problem: `agi_arg_1 (the number) is not a dialled number: "${exten.slice(0, 40)}"` };
  if (!/^[1-9][0-9]{0,2}$/.test(attempt.trim())) return { ok: false, problem: `agi_arg_2 (the attempt) is not a positive integer: "${attempt.slice(0, 20)}"` };
  const status = dialStatus.trim().toUpperCase();
  if (status !== '' && !/^[A-Z]{1,16}$/.test(status)) return { ok: false, problem: `agi_arg_3 (DIALSTATUS) is malformed: "${dialStatus.slice(0, 20)}"` };
  const causeText = cause.trim();
  if (causeText !== '' && !/^[0-9]{1,3}$/.test(causeText)) return { ok: false, problem: `agi_arg_4 (HANGUPCAUSE) is not a number: "${cause.slice(0, 20)}"` };
  const callerId = env.vars.callerid ?? '';
  return {
    ok: true,
    query: {
      exten: number,
      attemptNo: Number(attempt),
      dialStatus: status,
      hangupCause: causeText === '' ? null : Number(causeText),
      uniqueid: env.vars.uniqueid ?? '',
      callerIdNum: callerId === '' || callerId === 'unknown' ? null : callerId,
    },
  };
}
