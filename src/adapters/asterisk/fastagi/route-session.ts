import type { Logger } from '../../logging/logger.ts';
import type { ChannelFacts, ChannelProbe, RouteAnswer, RouteService } from '../../../app/calls/route-service.ts';
import { routeQueryOf } from '../../../core/calls/route-query.ts';
import { AgiCommandError, type AgiConnection } from './connection.ts';
import { runInboundStep, type InboundStepPort } from './inbound-session.ts';
import { quoteArg, variableValue, type AgiEnvironment } from './protocol.ts';
import { scriptName, scriptSecret, secretMatches } from './script-secret.ts';

/** What a route request is answered: the service's answer, or fail-open after a connector error. */
export type AgiAnswer = Extract<RouteAnswer, { action: 'dial' }> | { readonly action: 'stop' | 'failopen'; readonly reason: string };

/**
 * The lab's form (four arguments): one SET VARIABLE per field (docs/asterisk.md). Channel variables
 * persist between attempts, so ROUTE_RECORD (read at attempt 1 only) and ROUTE_CALL_ID (the same
 * for the whole call) are set at attempt 1 only: each SET VARIABLE is a round trip.
 */
export function answerVariables(answer: AgiAnswer): [string, string][] {
  if (answer.action === 'dial') {
    const vars: [string, string][] = [
      ['ROUTE_ACTION', 'dial'],
      ['ROUTE_DIAL', answer.dial],
      ['ROUTE_CALLERID', answer.callerId],
      ['ROUTE_TIMEOUT', String(answer.timeout)],
    ];
    if (answer.attemptNo === 1) vars.push(['ROUTE_RECORD', answer.record ? '1' : '0'], ['ROUTE_CALL_ID', answer.callId]);
    return vars;
  }
  return [['ROUTE_ACTION', answer.action], ['ROUTE_REASON', answer.reason]];
}

/** The fields of the single ROUTE variable, in order: the dialplan reads field n as `${CUT(ROUTE,|,n)}`. */
export const ROUTE_FIELDS = ['ROUTE_ACTION', 'ROUTE_DIAL', 'ROUTE_CALLERID', 'ROUTE_TIMEOUT', 'ROUTE_RECORD', 'ROUTE_CALL_ID', 'ROUTE_REASON'] as const;

/** Separates the fields of ROUTE; it never occurs inside one (routeVariable). */
export const ROUTE_SEPARATOR = '|';

/** The dialplan asks for the single-variable answer with this literal as agi_arg_8. */
export const SINGLE_ANSWER_ARG = 'ROUTE';

/**
 * The shipped dialplan's form: every field in one `ROUTE` variable, so the answer is one round
 * trip (`ACTION|DIAL|CALLERID|TIMEOUT|RECORD|CALL_ID|REASON`, empty fields kept). A separator in
 * a free-text field (call id, reason) becomes `/`; the dial string cannot be rewritten without
 * changing where the call goes, so one containing it is refused (null) — the rules refuse such a
 * dial template when loaded, this is the last guard.
 */
export function routeVariable(answer: AgiAnswer): string | null {
  const free = (v: string): string => v.replaceAll(ROUTE_SEPARATOR, '/');
  const fields: Record<(typeof ROUTE_FIELDS)[number], string> =
    answer.action === 'dial'
      ? {
        ROUTE_ACTION: 'dial',
        ROUTE_DIAL: answer.dial,
        ROUTE_CALLERID: free(answer.callerId),
        ROUTE_TIMEOUT: String(answer.timeout),
        ROUTE_RECORD: answer.record ? '1' : '0',
        ROUTE_CALL_ID: free(answer.callId),
        ROUTE_REASON: '',
      }
      : { ROUTE_ACTION: answer.action, ROUTE_DIAL: '', ROUTE_CALLERID: '', ROUTE_TIMEOUT: '', ROUTE_RECORD: '', ROUTE_CALL_ID: '', ROUTE_REASON: free(answer.reason) };
  if (fields.ROUTE_DIAL.includes(ROUTE_SEPARATOR)) return null;
  return ROUTE_FIELDS.map((name) => fields[name]).join(ROUTE_SEPARATOR);
}

/**
 * The shipped dialplan passes 7 arguments and `ROUTE` as the 8th: it splits the single variable.
 * Anything else (the lab's 4 arguments, an older dialplan's 7, a list shifted by a comma inside a
 * value) is answered with separate variables, which every dialplan form reads.
 */
export function wantsSingleVariable(env: AgiEnvironment): boolean {
  return env.args.length === 8 && env.args[7] === SINGLE_ANSWER_ARG;
}

const FACT_COMMANDS: Readonly<Record<keyof ChannelFacts, string>> = {
  callId: 'GET VARIABLE CONNECTOR_CALL_ID',
  callerExtension: 'GET VARIABLE CONNECTOR_EXTEN',
  linkedid: 'GET FULL VARIABLE ${CHANNEL(linkedid)}',
};

/**
 * Facts the shipped dialplan passes as agi_arg_5..7 (`${CHANNEL(linkedid)}`, `${CONNECTOR_EXTEN}`,
 * `${CONNECTOR_CALL_ID}`), so a route request needs no GET round trip. Only trusted when exactly
 * seven arguments arrived, or eight ending in `ROUTE` (a comma inside a value would shift them); an
 * empty value means unset.
 * The lab's four-argument form gets them by GET VARIABLE instead.
 */
export function factsFromArgs(env: AgiEnvironment): Partial<ChannelFacts> {
  if (env.args.length !== 7 && !wantsSingleVariable(env)) return {};
  const [, , , , linkedid = '', callerExtension = '', callId = ''] = env.args;
  // A Linkedid is an Asterisk uniqueid or an Originate ChannelId: printable, at most 149 characters.
  if (!/^[\x21-\x7e]{1,149}$/.test(linkedid.trim())) return {};
  const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());
  return { linkedid: linkedid.trim(), callerExtension: orNull(callerExtension), callId: orNull(callId) };
}

/**
 * Reads channel facts: those the dialplan passed as arguments first, the rest over the session,
 * only those asked for (one command at a time: connection.ts).
 */
function probeOf(conn: AgiConnection, passed: Partial<ChannelFacts>): ChannelProbe {
  return {
    async read(want) {
      const keys = (Object.keys(FACT_COMMANDS) as (keyof ChannelFacts)[]).filter((k) => want[k] === true);
      const facts: { -readonly [K in keyof ChannelFacts]?: string | null } = {};
      const missing = keys.filter((k) => {
        if (!(k in passed)) return true;
        facts[k] = passed[k] ?? null;
        return false;
      });
      if (missing.length === 0) return facts;
      if (conn.hungUp) return facts;
      const replies = await Promise.all(missing.map((k) => conn.command(FACT_COMMANDS[k])));
      missing.forEach((k, i) => {
        const reply = replies[i];
        const value = reply ? variableValue(reply) : null;
        facts[k] = value === '' ? null : value;
      });
      return facts;
    },
  };
}

export interface RouteSessionDeps {
  readonly service: RouteService;
  readonly logger: Logger;
  readonly envTimeoutMs: number;
  /** The shared secret the AGI URL must carry; null = none asked. */
  readonly secret: string | null;
  /** Past this the dialplan is answered fail-open, whatever the route decision waits for (a database lock). */
  readonly routeDeadlineMs: number;
  /** A request without the right secret (closed unanswered). */
  readonly onBadSecret: () => void;
  /** The second script, `inbound` (inbound scenarios); absent = not served. */
  readonly inbound?: InboundStepPort;
}

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * One FastAGI route request: environment → query → the service → SET VARIABLE answers → close.
 * A failure inside the connector answers ROUTE_ACTION "failopen" when the channel is still there,
 * so the dialplan takes its fail-open branch (DECISIONS §10).
 */
export async function runRouteSession(conn: AgiConnection, deps: RouteSessionDeps, peer: string): Promise<void> {
  const { logger } = deps;
  const envResult = await conn.readEnvironment(deps.envTimeoutMs);
  if (!envResult.ok) {
    logger.warn({ peer, problem: envResult.problem }, 'fastagi: closing a connection that does not speak AGI');
    conn.destroy();
    return;
  }
  const env = envResult.env;
  const script = env.vars.network_script ?? '';
  if (deps.secret !== null && !secretMatches(scriptSecret(script), deps.secret)) {
    // Nothing answered to a peer that cannot prove who it is: the dialplan fails open on an empty ROUTE.
    deps.onBadSecret();
    conn.destroy();
    return;
  }
  // The child logger is only built when something is logged: the happy path logs nothing.
  let child: Logger | undefined;
  const log = (): Logger => (child ??= logger.child({ peer, uniqueid: env.vars.uniqueid }));
  try {
    const name = scriptName(script);
    if (name === 'inbound' && deps.inbound) {
      await runInboundStep(conn, env, deps.inbound, log);
      return;
    }
    if (name !== 'route') {
      // A mistyped AGI URL must not drop every outgoing call: the dialplan places it on its fail-open trunk.
      log().warn({ script: name }, 'fastagi: unknown AGI script requested: answering fail-open');
      await send(conn, env, { action: 'failopen', reason: `unknown AGI script "${name}"` }, log);
      return;
    }
    const parsed = routeQueryOf(env);
    if (!parsed.ok) {
      log().warn({ problem: parsed.problem }, 'fastagi: bad route request');
      await send(conn, env, { action: 'stop', reason: `bad route request: ${parsed.problem}` }, log);
      return;
    }
    let answer: RouteAnswer;
    try {
      const routing = deps.service.route(parsed.query, probeOf(conn, factsFromArgs(env)));
      const decided = await withDeadline(routing, deps.routeDeadlineMs);
      if (decided === TIMED_OUT) {
        log().warn({ attempt: parsed.query.attemptNo, deadlineMs: deps.routeDeadlineMs }, 'fastagi: no route decision within the deadline: answering fail-open');
        // A decision that comes later was never dialled: its attempt is closed as such.
        routing.then((late) => (late.action === 'dial' ? deps.service.abandon(late) : undefined))
          .catch((err: unknown) => log().warn({ err }, 'fastagi: a route request past its deadline failed'));
        await send(conn, env, ROUTE_DEADLINE, log);
        return;
      }
      answer = decided;
    } catch (err) {
      if (err instanceof AgiCommandError || conn.hungUp) throw err;
      log().error({ err }, 'fastagi: route request failed inside the connector: answering fail-open');
      await send(conn, env, FAIL_OPEN, log);
      return;
    }
    if (conn.hungUp) {
      log().info({ callId: answer.callId, attempt: parsed.query.attemptNo }, 'fastagi: the channel hung up during the route request');
      if (answer.action === 'dial') await deps.service.abandon(answer);
      return;
    }
    const sent = await send(conn, env, answer, log);
    if (!sent && answer.action === 'dial') await deps.service.abandon(answer);
  } catch (err) {
    if (conn.hungUp || (err instanceof AgiCommandError && err.kind === 'closed')) {
      log().info({ reason: (err as Error).message }, 'fastagi: the channel went away during the route request');
    } else {
      log().warn({ reason: (err as Error).message }, 'fastagi: route session failed');
    }
  } finally {
    conn.close();
  }
}

const FAIL_OPEN: AgiAnswer = { action: 'failopen', reason: 'connector error' };
const ROUTE_DEADLINE: AgiAnswer = { action: 'failopen', reason: 'no route decision in time' };

/**
 * Sends the answer in the form the dialplan reads: one `SET VARIABLE ROUTE` (shipped dialplan),
 * else the separate variables one after another (511 = the channel is gone). A dial answer that
 * cannot be put into ROUTE is answered fail-open instead: false = the answer was not sent.
 */
async function send(conn: AgiConnection, env: AgiEnvironment, answer: AgiAnswer, log: () => Logger): Promise<boolean> {
  if (conn.hungUp) return false;
  if (!wantsSingleVariable(env)) {
    await Promise.all(answerVariables(answer).map(([name, value]) => conn.command(`SET VARIABLE ${name} ${quoteArg(value)}`)));
    return true;
  }
  const route = routeVariable(answer);
  if (route === null) {
    log().error({ dial: answer.action === 'dial' ? answer.dial : undefined }, `fastagi: the dial string contains "${ROUTE_SEPARATOR}", which separates the fields of ROUTE: answering fail-open`);
    await conn.command(`SET VARIABLE ROUTE ${quoteArg(routeVariable(FAIL_OPEN) ?? '')}`);
    return false;
  }
  await conn.command(`SET VARIABLE ROUTE ${quoteArg(route)}`);
  return true;
}
