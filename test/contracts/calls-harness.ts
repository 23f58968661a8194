import { Writable } from 'node:stream';
import pino from 'pino';
import { startFastAgiServer, type FastAgiServer } from '../../src/adapters/asterisk/fastagi/server.ts';
import { PER_MINUTE } from '../../src/core/rules/billing.ts';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import type { Logger } from '../../src/adapters/logging/logger.ts';
import { originateClickToCall, type ClickToCallInput, type ClickToCallResult } from '../../src/app/calls/click-to-call.ts';
import type { OriginateRequest, Originator } from '../../src/app/calls/ports.ts';
import { RouteService } from '../../src/app/calls/route-service.ts';
import { CallTracker } from '../../src/app/calls/tracker.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import { tempSqliteDb } from '../support/db.ts';
import { fixedRouting, labRules } from './calls-lab-rules.ts';

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => lines };
}

/** A fake AMI originator that records requests (or fails like an unreachable PBX). */
export class FakeOriginator implements Originator {
  readonly sent: OriginateRequest[] = [];
  fail: Error | null = null;
  async originate(request: OriginateRequest): Promise<{ actionId: string }> {
    if (this.fail) throw this.fail;
    this.sent.push(request);
    return { actionId: `action-${this.sent.length}` };
  }
}

export interface CallsHarness {
  readonly db: Db;
  readonly store: CallsRepository;
  readonly service: RouteService;
  readonly tracker: CallTracker;
  readonly originator: FakeOriginator;
  readonly routing: ReturnType<typeof fixedRouting>;
  readonly log: ReturnType<typeof capturingLogger>;
  clock: { now(): number };
  server: FastAgiServer | null;
  clickToCall(input: Partial<ClickToCallInput> & { crmCallId: string }, id?: string): Promise<ClickToCallResult>;
  startAgi(): Promise<FastAgiServer>;
  close(): Promise<void>;
}

export async function callsHarness(rules: CompiledRules = labRules(), openDb?: () => Promise<{ db: Db; close(): Promise<void> }>): Promise<CallsHarness> {
  const handle = openDb ? await openDb() : await tempSqliteDb();
  let t = 1_795_440_000_000;
  const clock = { now: () => (t += 10) };
  const log = capturingLogger();
  const store = new CallsRepository(handle.db, clock.now);
  const routing = fixedRouting(rules);
  let follow: (uniqueid: string, linkedid: string | null) => void = () => undefined;
  const service = new RouteService({ store, routing, clock, logger: log.logger, follow: (u, l) => follow(u, l) });
  const tracker = new CallTracker({
    store, clock, logger: log.logger, connectorContext: 'connector-outbound', flushIntervalMs: 0,
    lineOf: (id) => routing.rules.current().trunkById.get(id)?.trunk.line ?? null, failOpenTrunk: 'failopen', failOpenPerMinute: null,
    incrementOf: (id) => routing.rules.current().trunkById.get(id)?.trunk.tariffs.increment ?? PER_MINUTE,
    beforeClose: () => service.drain(),
    known: (uniqueid) => service.known(uniqueid),
  });
  follow = (u, l) => tracker.follow(u, l);
  tracker.on('call-ended', (r) => service.callEnded(r.callId));
  const originator = new FakeOriginator();
  let ids = 0;
  const h: CallsHarness = {
    db: handle.db, store, service, tracker, originator, routing, log, clock, server: null,
    clickToCall(input, id) {
      return originateClickToCall({
        store, routing, originator, clock, logger: log.logger, newId: () => id ?? `t${++ids}`,
        channelTemplate: 'Local/{extension}@phones', context: 'connector-outbound', timeoutMs: 30_000, channels: service.channels,
        onPlanned: (c) => service.remember(c),
      }, {
        userId: '12', extension: '100', number: '+79160000001', numberIsInternational: true, origin: 'crm', line: null, ...input,
      });
    },
    async startAgi() {
      h.server = await startFastAgiServer({ host: '127.0.0.1', port: 0, service, logger: log.logger, commandTimeoutMs: 500, envTimeoutMs: 500 });
      return h.server;
    },
    async close() {
      await h.server?.close();
      await tracker.stop();
      await handle.close();
    },
  };
  return h;
}
