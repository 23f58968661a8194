import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics the service exposes on /metrics. One instance per process. */
export interface Metrics {
  readonly registry: Registry;
  /** Ended calls by CRM status code and the trunk that carried them. */
  readonly callsTotal: Counter<'status' | 'trunk'>;
  /** What ended calls cost, roubles, by the trunk that carried them (the stored per-call cost). */
  readonly callCostRubTotal: Counter<'trunk'>;
  /** Talk time of ended calls, by the trunk that carried them. */
  readonly callTalkSecondsTotal: Counter<'trunk'>;
  /** Dial attempts handed to Asterisk, by trunk and tier. */
  readonly attemptsTotal: Counter<'trunk' | 'tier'>;
  /** Outcome of each finished attempt: rotate or stop. */
  readonly attemptOutcomesTotal: Counter<'trunk' | 'decision'>;
  /** Time to compute a route decision (the pure core call only). */
  readonly routeDecisionSeconds: Histogram<'kind'>;
  readonly fastAgiRequestsTotal: Counter<'result'>;
  readonly crmOutboxDepth: Gauge<'state'>;
  readonly amiReconnectsTotal: Counter;
  readonly amiConnected: Gauge;
  readonly crmEventsTotal: Counter<'event' | 'result'>;
  /** Per trunk: 0 closed, 1 half-open, 2 open (out of routes for technical failures). */
  readonly trunkBreakerState: Gauge<'trunk'>;
  /** Per trunk: 1 while a SIM limit keeps it out of routes. */
  readonly trunkSimLimited: Gauge<'trunk'>;
  /** Active admin alerts by kind, read from `alertSource` at every scrape. */
  readonly alertsActive: Gauge<'kind'>;
  readonly alertsRaisedTotal: Counter<'kind'>;
  /** What `alertsActive` reports; the composition root points it at the alerts. */
  alertSource: () => Promise<Readonly<Record<string, number>>>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'b24pbx_' });
  const registers = [registry];
  const metrics: Metrics = {
    registry,
    callsTotal: new Counter({ name: 'b24pbx_calls_total', help: 'Ended calls by CRM status code and trunk', labelNames: ['status', 'trunk'], registers }),
    callCostRubTotal: new Counter({ name: 'b24pbx_call_cost_rub_total', help: 'Cost of ended calls in RUB, by trunk', labelNames: ['trunk'], registers }),
    callTalkSecondsTotal: new Counter({ name: 'b24pbx_call_talk_seconds_total', help: 'Talk time of ended calls, by trunk', labelNames: ['trunk'], registers }),
    attemptsTotal: new Counter({ name: 'b24pbx_route_attempts_total', help: 'Dial attempts answered to Asterisk, by trunk and tier', labelNames: ['trunk', 'tier'], registers }),
    attemptOutcomesTotal: new Counter({ name: 'b24pbx_attempt_outcomes_total', help: 'Finished attempts by trunk and rotate/stop decision', labelNames: ['trunk', 'decision'], registers }),
    routeDecisionSeconds: new Histogram({
      name: 'b24pbx_route_decision_seconds',
      help: 'Route decision latency (routing core)',
      labelNames: ['kind'],
      buckets: [0.000005, 0.00001, 0.00002, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.02],
      registers,
    }),
    fastAgiRequestsTotal: new Counter({ name: 'b24pbx_fastagi_requests_total', help: 'FastAGI route requests by result', labelNames: ['result'], registers }),
    crmOutboxDepth: new Gauge({ name: 'b24pbx_crm_outbox_depth', help: 'CRM writes waiting in the durable queue, by state', labelNames: ['state'], registers }),
    amiReconnectsTotal: new Counter({ name: 'b24pbx_ami_reconnects_total', help: 'AMI reconnections', registers }),
    amiConnected: new Gauge({ name: 'b24pbx_ami_connected', help: '1 while the AMI session is logged in', registers }),
    crmEventsTotal: new Counter({ name: 'b24pbx_crm_events_total', help: 'Bitrix24 events received by event and result', labelNames: ['event', 'result'], registers }),
    trunkBreakerState: new Gauge({ name: 'b24pbx_trunk_breaker_state', help: 'Trunk circuit breaker: 0 closed, 1 half-open, 2 open', labelNames: ['trunk'], registers }),
    trunkSimLimited: new Gauge({ name: 'b24pbx_trunk_sim_limited', help: '1 while a SIM limit keeps the trunk out of routes', labelNames: ['trunk'], registers }),
    alertsActive: new Gauge({
      name: 'b24pbx_alerts_active', help: 'Admin alerts active now by kind (see docs/alerts.md)', labelNames: ['kind'], registers,
      async collect() {
        // The alerts are read from the database: one it cannot reach keeps the last figures (the database check says why).
        const counts = await metrics.alertSource().catch(() => null);
        for (const [kind, n] of Object.entries(counts ?? {})) this.set({ kind }, n);
      },
    }),
    alertsRaisedTotal: new Counter({ name: 'b24pbx_alerts_raised_total', help: 'Admin alerts raised by kind (repeats included)', labelNames: ['kind'], registers }),
    alertSource: async () => ({}),
  };
  return metrics;
}
