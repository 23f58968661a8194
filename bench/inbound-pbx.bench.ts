// Inbound calls through the real Asterisk 22 of ../shared/asterisk with the shipped
// extensions_inbound.conf, the connector process and the Bitrix24 double with its rate limit
// (burst 50, 2 requests/s) and a latency per request (uniform LATENCY_MIN_MS..LATENCY_MAX_MS,
// default 100..300 ms: a cloud portal across the internet) ON.
// 1. Card pop (target p95 <= 1 s): CALLS calls, one at a time, to a group rung all at once whose
//    phones ring and never answer; from the call's arrival at the PBX (the Timestamp of its first
//    channel's Newchannel) to the portal processing the `show` that names the first ringing
//    manager. Each call is hung up once its card is shown, and the next one starts once the
//    previous one is finished in the CRM (a call arriving alone). Floor beside it: `register` then
//    `show` are two requests in a row, so twice the mean latency.
// 2. Burst (target: none lost): BURST simultaneous calls (one Originate each, all at once) to a
//    group of three answering phones; a call counts as kept when a lab phone answered it (AMI
//    DialEnd ANSWER) without a fail-open; then every call is hung up and the CRM writes are waited
//    for (register + finish of each, through the limit). Baseline: the same burst with the
//    connector unreachable (every call fails open to the dialplan's default group: Asterisk alone).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PbxTier } from '../test/pbx/harness.ts';
import { hasLab, LAB_SKIP_REASON } from '../test/pbx/lab-asterisk.ts';
import type { LabEvent } from '../test/pbx/lab-ami.ts';

const CALLS = Number(process.env.CALLS ?? 40);
const BURST = Number(process.env.BURST ?? 100);
const LATENCY_MIN_MS = Number(process.env.LATENCY_MIN_MS ?? 100);
const LATENCY_MAX_MS = Number(process.env.LATENCY_MAX_MS ?? 300);

const BURST_DID = '74950000001';
const LONE_DID = '74950000002';

// Lab users (rules/users.yaml of the lab): 1→100, 2→101, 3→102 answer; 4→200, 5→201 ring and never answer.
const INBOUND_YAML = `
phoneDial: Local/{extension}@phones
numbers:
  - { number: '+${BURST_DID}', scenario: burst }
  - { number: '+${LONE_DID}', scenario: lone }
scenarios:
  - id: burst
    steps: [{ group: answering }]
  - id: lone
    steps: [{ group: ringing }]
groups:
  - { id: answering, strategy: all, ringTime: 30, members: [1, 2, 3] }
  - { id: ringing, strategy: all, ringTime: 20, members: [4, 5] }
`;

function load(): string {
  return os.loadavg()[0]!.toFixed(2);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function userIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object' && value !== null) return Object.values(value).map(String);
  return value === undefined ? [] : [String(value)];
}

/** The CRM call registered for this Linkedid, if any. */
function crmCallId(tier: PbxTier, linkedid: string): string | undefined {
  return [...tier.bitrix24.state.calls.values()].find((c) => c.EXTERNAL_CALL_ID === linkedid)?.CALL_ID;
}

async function waitNoChannels(tier: PbxTier): Promise<void> {
  await until('every channel gone', async () => (await tier.ami.channels()).length === 0, 60_000);
}

async function cardPop(tier: PbxTier): Promise<number[]> {
  const delays: number[] = [];
  const arrived = new Map<string, number>();
  const stop = tier.ami.onEvent((e: LabEvent) => {
    if (e.Event === 'Newchannel' && e.Uniqueid && e.Uniqueid === e.Linkedid && !arrived.has(e.Uniqueid)) arrived.set(e.Uniqueid, Number(e.Timestamp) * 1000);
  });
  try {
    for (let i = 0; i < CALLS; i++) {
      const id = await tier.inboundCall(LONE_DID, { caller: `7916${String(1_000_000 + i).slice(-7)}` });
      const shownAt = await until(`the card of ${id}`, () => {
        const callId = crmCallId(tier, id);
        if (callId === undefined) return undefined;
        const show = tier.bitrix24.callsOf('telephony.externalcall.show')
          .find((r) => r.status === 200 && r.params.CALL_ID === callId && userIds(r.params.USER_ID).includes('4'));
        return show?.processedAt;
      }, 30_000);
      const at = await until(`the arrival of ${id}`, () => arrived.get(id), 5_000);
      delays.push(shownAt - at);
      await tier.hangUp(id);
      await tier.callGone(id);
      await until(`the finish of ${id}`, () => tier.bitrix24.state.calls.get(crmCallId(tier, id) ?? '')?.finished ?? undefined, 60_000);
      tier.ami.events.length = 0;
    }
  } finally {
    stop();
  }
  return delays.sort((a, b) => a - b);
}

interface Burst {
  readonly answered: number;
  readonly failedOpen: number;
  readonly lost: number;
  /** From the first Originate to the last answer. */
  readonly allAnsweredMs: number;
  /** Calls registered and finished in the CRM (connector runs only) and the time until the last finish. */
  readonly crmFinished: number;
  readonly crmMs: number;
}

async function burst(tier: PbxTier, viaConnector: boolean): Promise<Burst> {
  const answered = new Map<string, number>();
  const failedOpen = new Set<string>();
  const stop = tier.ami.onEvent((e: LabEvent) => {
    const id = e.Linkedid ?? '';
    if (e.Event === 'DialEnd' && e.DialStatus === 'ANSWER' && /@phones-/.test(e.DestChannel ?? '') && !answered.has(id)) answered.set(id, performance.now());
    if (e.Event === 'UserEvent' && e.UserEvent === 'ConnectorInboundFailOpen') failedOpen.add(id);
  });
  const t0 = performance.now();
  const ids = await Promise.all(Array.from({ length: BURST }, (_, i) => tier.inboundCall(BURST_DID, { caller: `7926${String(1_000_000 + i).slice(-7)}` })));
  await until('every call answered', () => ids.every((id) => answered.has(id)), 60_000).catch(() => undefined);
  const last = Math.max(...ids.map((id) => answered.get(id) ?? Number.NaN));
  stop();
  for (const id of ids) await tier.hangUp(id);
  await waitNoChannels(tier);
  tier.ami.events.length = 0;
  let crmFinished = 0;
  let crmMs = Number.NaN;
  if (viaConnector) {
    const finished = () => ids.filter((id) => tier.bitrix24.state.calls.get(crmCallId(tier, id) ?? '')?.finished).length;
    await until('every call finished in the CRM', () => finished() === BURST, 180_000).catch(() => undefined);
    crmFinished = finished();
    crmMs = performance.now() - t0;
  }
  return { answered: answered.size, failedOpen: ids.filter((id) => failedOpen.has(id)).length, lost: BURST - ids.filter((id) => answered.has(id)).length, allAnsweredMs: last - t0, crmFinished, crmMs };
}

export async function run(): Promise<void> {
  if (!hasLab) {
    console.log(`inbound-pbx: ${LAB_SKIP_REASON}`);
    return;
  }
  const latency = () => LATENCY_MIN_MS + crypto.randomInt(0, Math.max(1, LATENCY_MAX_MS - LATENCY_MIN_MS + 1));
  const tier = await PbxTier.start({
    rules: (dir) => fs.writeFileSync(path.join(dir, 'inbound.yaml'), INBOUND_YAML),
    bitrix24: { rateLimit: { burst: 50, drainPerSecond: 2 }, latencyMs: latency },
    // The connector's own defaults for its log level and outbox polling (the test tier shortens them).
    env: { LOG_LEVEL: 'info', TRACKER_FLUSH_MS: '200', OUTBOX_POLL_MS: '1000' },
  });
  try {
    // Start-up syncs (users, lines) have spent part of the bucket: let it drain.
    await new Promise((r) => setTimeout(r, 15_000));
    console.log(`inbound-pbx: Bitrix24 double with its rate limit (burst 50, 2 requests/s) and a latency of ${LATENCY_MIN_MS}..${LATENCY_MAX_MS} ms per request; load average ${load()}`);
    const delays = await cardPop(tier);
    const mean = (LATENCY_MIN_MS + LATENCY_MAX_MS) / 2;
    console.log(`inbound-pbx: card shown to the first ringing manager, ${delays.length} calls arriving alone: p50 ${percentile(delays, 50).toFixed(0)} ms, p95 ${percentile(delays, 95).toFixed(0)} ms, max ${(delays.at(-1) ?? Number.NaN).toFixed(0)} ms (target p95 <= 1000 ms); floor: register then show, 2 x ${mean} ms mean latency = ${2 * mean} ms; load average ${load()}`);
    await new Promise((r) => setTimeout(r, 10_000));
    const agi = (await tier.ami.action({ Action: 'Getvar', Variable: 'CONNECTOR_INBOUND_AGI' }))[0]?.Value ?? '';
    const viaConnector = await burst(tier, true);
    console.log(`inbound-pbx: burst of ${BURST} simultaneous inbound calls through the connector: ${viaConnector.answered} answered by a manager, ${viaConnector.failedOpen} failed open, ${viaConnector.lost} lost; all answered ${viaConnector.allAnsweredMs.toFixed(0)} ms after the first Originate; ${viaConnector.crmFinished}/${BURST} registered and finished in the CRM through the rate limit after ${(viaConnector.crmMs / 1000).toFixed(1)} s; load average ${load()}`);
    await tier.ami.action({ Action: 'Setvar', Variable: 'CONNECTOR_INBOUND_AGI', Value: 'agi://127.0.0.1:9/inbound' });
    const base = await burst(tier, false);
    await tier.ami.action({ Action: 'Setvar', Variable: 'CONNECTOR_INBOUND_AGI', Value: agi });
    console.log(`inbound-pbx: baseline, the same burst with the connector unreachable (fail-open group, Asterisk alone): ${base.answered} answered, ${base.lost} lost; all answered ${base.allAnsweredMs.toFixed(0)} ms after the first Originate; load average ${load()}`);
  } finally {
    await tier.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
