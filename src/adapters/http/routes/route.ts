import { Router, type Request, type Response } from 'express';
import type { Logger } from '../../logging/logger.ts';
import type { ChannelProbe, RouteAnswer, RouteService } from '../../../app/calls/route-service.ts';
import { routeQueryOf } from '../../../core/calls/route-query.ts';
import { secretsEqual } from '../admin-auth.ts';

export interface RouteRouterDeps {
  readonly service: RouteService;
  readonly logger: Logger;
  /** AGI_HTTP_TOKEN (falls back to ADMIN_TOKEN). Unset = the endpoint is closed. */
  readonly token: string | undefined;
}

/** `|` separates fields in the body: keep it (and line breaks) out of every value. */
function field(v: string): string {
  return v.replace(/[|\r\n]+/g, ' ');
}

/**
 * The answer as one line for `${CURL(...)}`: `dial|DIAL|CALLERID|TIMEOUT|RECORD|CALLID` or
 * `stop|REASON`; the dialplan splits it with `${CUT(R,|,n)}`. Anything else (`failopen|…`,
 * `error|…`, an empty body when the connector is down) means: fail open (DECISIONS §10).
 */
export function routeBody(answer: RouteAnswer): string {
  if (answer.action === 'dial') {
    return ['dial', answer.dial, answer.callerId, String(answer.timeout), answer.record ? '1' : '0', answer.callId].map(field).join('|');
  }
  return `${answer.action}|${field(answer.reason)}`;
}

function str(q: Request['query'][string]): string {
  return typeof q === 'string' ? q : '';
}

/**
 * `GET /route?exten=&attempt=&dialstatus=&hangupcause=&uniqueid=&linkedid=&caller=&callid=&token=`:
 * the same route service as FastAGI, for dialplans that prefer CURL(). The secret comes as
 * `token=` in the query or an `X-Connector-Token` header.
 */
export function createRouteRouter(deps: RouteRouterDeps): Router {
  const router = Router();
  router.get('/route', async (req: Request, res: Response) => {
    res.type('text/plain');
    const given = req.get('x-connector-token') ?? str(req.query.token);
    if (!deps.token) {
      res.status(403).send('error|the route endpoint is disabled: set AGI_HTTP_TOKEN');
      return;
    }
    if (!given || !secretsEqual(given, deps.token)) {
      deps.logger.warn({ ip: req.ip }, 'http route: missing or wrong token');
      res.status(401).send('error|unauthorized');
      return;
    }
    const parsed = routeQueryOf({
      vars: { uniqueid: str(req.query.uniqueid), callerid: str(req.query.caller) },
      args: [str(req.query.exten), str(req.query.attempt), str(req.query.dialstatus), str(req.query.hangupcause)],
    });
    if (!parsed.ok) {
      res.status(400).send(`stop|bad request: ${field(parsed.problem)}`);
      return;
    }
    if (parsed.query.uniqueid === '') {
      res.status(400).send('stop|bad request: uniqueid is required');
      return;
    }
    const nonEmpty = (v: string): string | null => (v === '' ? null : v);
    const probe: ChannelProbe = {
      read: async () => ({
        callId: nonEmpty(str(req.query.callid)),
        callerExtension: nonEmpty(str(req.query.caller)),
        linkedid: nonEmpty(str(req.query.linkedid)),
      }),
    };
    try {
      res.send(routeBody(await deps.service.route(parsed.query, probe)));
    } catch (err) {
      deps.logger.error({ err }, 'http route: route request failed inside the connector');
      res.status(500).send('failopen|connector error');
    }
  });
  return router;
}
