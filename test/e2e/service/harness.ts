import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { amiGet } from '../../../src/adapters/asterisk/ami/codec.ts';
import { silentLogger, type Logger } from '../../../src/adapters/logging/logger.ts';
import type { CallRecord, StoredCall } from '../../../src/app/calls/call-record.ts';
import type { CrmClock } from '../../../src/app/crm/clock.ts';
import { clickToCall, startEventData, type DemoCall } from '../../../src/composition/demo-calls.ts';

export { startEventData };
import { startWithDoubles, type DoubledConnector } from '../../../src/composition/demo-environment.ts';
import { loadEnv } from '../../../src/config/env.ts';
import type { PhoneScript, TrunkScript } from '../../../src/doubles/asterisk/index.ts';
import type { Bitrix24DoubleOptions, ReceivedCall } from '../../../src/doubles/bitrix24/server.ts';

/**
 * The whole service for end-to-end tests: the real connector (HTTP, FastAGI, AMI client, SQLite,
 * a copy of the shipped rules) between the PBX double and the Bitrix24 double, in scaled time.
 */

const SHIPPED_RULES = fileURLToPath(new URL('../../../rules/', import.meta.url));

export interface ServiceOptions {
  readonly trunks: TrunkScript;
  /** Edits the temporary copy of rules/ before the connector reads it. */
  readonly editRules?: (dir: string) => void;
  /** Extra environment variables (strings, as in a real environment). */
  readonly env?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
  readonly timeScale?: number;
  readonly crmClock?: CrmClock;
  readonly defaultPhone?: PhoneScript;
  readonly bitrix24?: Bitrix24DoubleOptions;
}

export interface Service extends DoubledConnector {
  readonly rulesDir: string;
  close(): Promise<void>;
}

export async function startService(o: ServiceOptions): Promise<Service> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-e2e-service-'));
  const rulesDir = path.join(tmp, 'rules');
  fs.cpSync(SHIPPED_RULES, rulesDir, { recursive: true });
  o.editRules?.(rulesDir);
  const env = loadEnv({
    DATABASE_URL: path.join(tmp, 'connector.sqlite'),
    PORT: '0',
    AGI_PORT: '0',
    LOG_LEVEL: 'silent',
    RULES_DIR: rulesDir,
    TRACKER_FLUSH_MS: '20',
    OUTBOX_POLL_MS: '20',
    ...o.env,
  });
  const d = await startWithDoubles(env, o.logger ?? silentLogger, {
    timeScale: o.timeScale ?? 0.02,
    trunks: o.trunks,
    defaultPhone: o.defaultPhone ?? { kind: 'answer', afterMs: 0 },
    bitrix24: { rateLimit: false, ...o.bitrix24 },
    ...(o.crmClock ? { crmClock: o.crmClock } : {}),
  });
  await waitFor('AMI connected', () => d.connector.ami?.connected === true);
  return {
    get connector() { return d.connector; },
    pbx: d.pbx, bitrix24: d.bitrix24, baseUrl: d.baseUrl, rulesDir,
    restartConnector: (whileDown?: () => Promise<void>) => d.restartConnector(whileDown),
    stop: () => d.stop(),
    async close() {
      await d.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` holds; fails naming what it waited for. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

/** Posts a click-to-call (ONEXTERNALCALLSTART after Bitrix24 registered the call); returns CALL_ID. */
export async function click(s: Service, call: Omit<DemoCall, 'title'>): Promise<string> {
  return clickToCall(s.bitrix24, s.baseUrl, { title: '', ...call });
}

/** Whether the connector still holds queued Bitrix24 writes for this call. */
async function outboxHolds(s: Service, crmCallId: string): Promise<boolean> {
  for (const state of ['pending', 'inflight'] as const) {
    const entries = await s.connector.crm.outbox.list({ state });
    if (entries.some((e) => JSON.stringify(e).includes(crmCallId))) return true;
  }
  return false;
}

export interface Settled {
  readonly call: StoredCall | null;
  readonly record: CallRecord | null;
}

/** Whether the connector has handled the ONEXTERNALCALLSTART of this CALL_ID (placed or refused the call). */
async function startHandled(s: Service, crmCallId: string): Promise<boolean> {
  const row = (await s.connector.db('crm_events').where({ event: 'ONEXTERNALCALLSTART', event_key: crmCallId }).first('state')) as { state: string } | undefined;
  return row !== undefined && (row.state === 'done' || row.state === 'failed');
}

/**
 * Waits until the click-to-call's event was handled, the call (if one was placed) is over, and
 * everything the connector meant to tell Bitrix24 about it has left the outbox. (A hidden call
 * card alone says nothing: the hide is queued before the Originate.)
 */
export async function settle(s: Service, crmCallId: string, timeoutMs = 8000): Promise<Settled> {
  let out: Settled = { call: null, record: null };
  await waitFor(`call ${crmCallId} to settle`, async () => {
    if (!(await startHandled(s, crmCallId))) return false;
    const call = await s.connector.calls.store.findCall(crmCallId);
    const record = call ? await s.connector.calls.store.getRecord(call.id) : null;
    out = { call, record };
    if (await outboxHolds(s, crmCallId)) return false;
    const neverDialled = call === null || (call.state === 'stopped' && call.plan === null);
    return neverDialled || (call.state === 'ended' && call.crmHandoff !== 'pending');
  }, timeoutMs);
  return out;
}

/** Bitrix24 REST calls about this CALL_ID (any answer status), `register` of click-to-calls aside. */
export function writesFor(s: Service, crmCallId: string): ReceivedCall[] {
  return s.bitrix24.received.filter((r) => r.params.CALL_ID === crmCallId && r.method.toLowerCase() !== 'telephony.externalcall.register');
}

/** The `finish` calls Bitrix24 accepted for this CALL_ID. */
export function acceptedFinishes(s: Service, crmCallId: string): ReceivedCall[] {
  return s.bitrix24.callsOf('telephony.externalcall.finish').filter((r) => r.params.CALL_ID === crmCallId && r.status === 200);
}

/** Every `finish` request that reached Bitrix24 for this CALL_ID, whatever it answered. */
export function allFinishes(s: Service, crmCallId: string): ReceivedCall[] {
  return s.bitrix24.callsOf('telephony.externalcall.finish').filter((r) => r.params.CALL_ID === crmCallId);
}

/** A position in the PBX double's event history, to look only at what happened after it. */
export function mark(s: Service): number {
  return s.pbx.events.length;
}

function eventsSince(s: Service, since: number): readonly { name: string; fields: Parameters<typeof amiGet>[0] }[] {
  return s.pbx.events.slice(since).map((ev) => ({ name: amiGet(ev, 'Event') ?? '', fields: ev }));
}

/** Dial strings the PBX was asked to dial towards a trunk (Dial() in the dialplan), in order. */
export function trunkDials(s: Service, since = 0): string[] {
  return eventsSince(s, since)
    .filter((e) => e.name === 'DialBegin' && amiGet(e.fields, 'Channel') !== undefined)
    .map((e) => amiGet(e.fields, 'DialString') ?? '');
}

/** Originates that reached the PBX (each rings a manager's phone: a DialBegin without a caller). */
export function originates(s: Service, since = 0): number {
  return eventsSince(s, since).filter((e) => e.name === 'DialBegin' && amiGet(e.fields, 'Channel') === undefined).length;
}

/** Trunk ids of the call's stored attempts, in order. */
export function attemptTrunks(record: CallRecord | null): (string | null)[] {
  return (record?.attempts ?? []).map((a) => a.trunkId);
}

/** Posts ONEXTERNALCALLSTART with this payload (and, when given, this auth block). */
export async function postStart(s: Service, data: Record<string, string>, auth?: Record<string, string>): Promise<{ status: number; body: string }> {
  const r = await s.bitrix24.postEvent(`${s.baseUrl}/bitrix24/events`, 'ONEXTERNALCALLSTART', data, auth ?? s.bitrix24.appAuth());
  return { status: r.status, body: r.body };
}

/** Row count of every table of the connector's SQLite database: what "nothing persisted" compares. */
export async function rowCounts(s: Service): Promise<Record<string, number>> {
  const db = s.connector.db;
  const tables = (await db('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').select('name')) as { name: string }[];
  const out: Record<string, number> = {};
  for (const { name } of tables) {
    const row = (await db(name).count({ n: '*' }).first()) as { n: number | string } | undefined;
    out[name] = Number(row?.n ?? 0);
  }
  return out;
}
