import type { EventEmitter } from 'node:events';
import type { AmiClient } from '../adapters/asterisk/ami/client.ts';
import type { Metrics } from '../adapters/metrics/metrics.ts';
import type { CallRecord } from '../app/calls/call-record.ts';
import type { CallsSide } from './calls-side.ts';

/** Feeds the Prometheus metrics from the parts' own events (the parts themselves know no metrics). */
export function instrumentCalls(o: {
  readonly calls: CallsSide;
  readonly ami: AmiClient | null;
  readonly metrics: Metrics;
  readonly callEvents: EventEmitter;
}): void {
  const { metrics } = o;
  o.callEvents.on('call-ended', (record: CallRecord) => {
    metrics.callsTotal.inc({ status: record.statusCode, trunk: record.trunkId ?? 'none' });
    if (record.cost !== null && record.cost > 0) metrics.callCostRubTotal.inc({ trunk: record.trunkId ?? 'none' }, record.cost);
    if (record.durationSec > 0) metrics.callTalkSecondsTotal.inc({ trunk: record.trunkId ?? 'none' }, record.durationSec);
    for (const a of record.attempts) {
      metrics.attemptsTotal.inc({ trunk: a.trunkId ?? 'none', tier: a.tier ?? 'none' });
      if (a.decision) metrics.attemptOutcomesTotal.inc({ trunk: a.trunkId ?? 'none', decision: a.decision });
    }
  });
  if (o.ami) {
    const ami = o.ami;
    metrics.amiConnected.set(0);
    ami.on('connected', () => metrics.amiConnected.set(1));
    ami.on('disconnected', () => metrics.amiConnected.set(0));
    ami.on('reconnecting', () => metrics.amiReconnectsTotal.inc());
  }
}
