import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UNKNOWN_CARRIER, type CarrierLookup } from '../../../src/core/numbering/carrier.ts';
import { decideRoute } from '../../../src/core/routing/decide.ts';
import { compileRules, type CompiledRules } from '../../../src/core/rules/compile.ts';
import { DEFAULT_BREAKER, type CrmRules, type Rules, type Trunk } from '../../../src/core/rules/model.ts';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import type { NewCall } from '../../../src/app/calls/ports.ts';
import type { ClickPlan, ClickToCallPort, ClickToCallRequest, ClickToCallResult } from '../../../src/app/crm/ports.ts';
import type { CrmClock } from '../../../src/app/crm/clock.ts';

function trunk(id: string, name: string, line: string | null, carrier: string | null, extra: Partial<Trunk> = {}): Trunk {
  return {
    id, name, kind: carrier ? 'gsm' : 'sip', carrier, dial: `PJSIP/{number}@${id}`, numberFormat: 'e164',
    callerIds: carrier ? [`+7999000${id.length}${id.length}${id.length}${id.length}`] : [], tariffs: { byCarrier: {}, byPrefix: [], default: 1.5 },
    channels: null, enabled: true, priority: 10, line, international: false, causeOverrides: {}, ringTimeout: 60, breaker: DEFAULT_BREAKER, limits: null, ...extra,
  };
}

/**
 * Test rules built in code: Sales (department 1, CRM-whitelisted, with a sub-department 3) may use
 * the MTS, Beeline and universal SIP trunks; HR (department 2) only its own line 201. User 2 (HR)
 * is whitelisted by id; user 9 (HR) is not whitelisted at all.
 */
export function testRules(crm: Partial<CrmRules> = {}): Rules {
  return {
    trunks: [
      trunk('mts', 'MTS gateway', '101', 'mts'),
      trunk('beeline', 'Beeline gateway', '102', 'beeline'),
      trunk('sip', 'Universal SIP', '103', null),
      trunk('hr', 'HR line', '201', 'mts', { callerIds: ['+79990002222'] }),
      trunk('spare', 'Spare (no department)', '301', null),
    ],
    departments: [
      { id: '1', name: 'Sales', parent: null, policy: { trunks: ['mts', 'beeline', 'sip'], defaultTrunk: 'beeline', rotateAfterManualLine: false, offNetFallback: true } },
      { id: '2', name: 'HR', parent: null, policy: { trunks: ['hr'], defaultTrunk: 'hr', rotateAfterManualLine: false, offNetFallback: false } },
      { id: '3', name: 'Sales North', parent: '1', policy: null },
    ],
    users: [
      { id: '1', name: 'Sales manager', extension: '100', departments: ['1'] },
      { id: '2', name: 'HR manager', extension: '101', departments: ['2'] },
      { id: '3', name: 'North manager', extension: '102', departments: ['3'] },
      { id: '9', name: 'HR assistant', extension: '109', departments: ['2'] },
    ],
    masks: [],
    callerIds: { main: null, personal: [], regional: [], disabled: [], priority: 'regional-first' },
    crm: {
      whitelist: { users: ['2'], extensions: [], departments: ['1'] },
      excluded: { numbers: ['+74950001122'], prefixes: ['7800'] },
      finishNonWhitelisted: false,
      createLeads: false,
      ...crm,
    },
    maxAttempts: 5,
    defaultCountry: 'RU',
    timezone: 'Europe/Moscow',
  };
}

export function compiledTestRules(crm: Partial<CrmRules> = {}): CompiledRules {
  return compileRules(testRules(crm));
}

export const noCarriers: CarrierLookup = { lookup: () => UNKNOWN_CARRIER };

/**
 * A click-to-call port backed by the real routing core: refuses exactly as the PBX side would
 * (invalid number, line outside the whitelist), dials once per CALL_ID, records every request.
 * Given `storedCall`, it also sees the calls stored with their clicks, as the PBX side does.
 */
export class RoutingClickToCall implements ClickToCallPort {
  readonly requests: ClickToCallRequest[] = [];
  readonly originated: ClickToCallRequest[] = [];
  failWith: Error | null = null;

  constructor(private readonly rules: () => CompiledRules, private readonly storedCall: (crmCallId: string) => Promise<boolean> = async () => false) {}

  async placed(crmCallId: string): Promise<boolean> {
    return this.originated.some((r) => r.crmCallId === crmCallId) || await this.storedCall(crmCallId);
  }

  async originate(request: ClickToCallRequest): Promise<ClickToCallResult> {
    this.requests.push(request);
    if (this.failWith) throw this.failWith;
    if (await this.placed(request.crmCallId)) return { status: 'duplicate' };
    const refused = this.decide(request).refused;
    if (refused) return { status: 'refused', code: refused.code, message: refused.message };
    this.originated.push(request);
    return { status: 'originated' };
  }

  /** The call row the PBX side would store: refused or planned as the routing core decides. */
  plan(request: ClickToCallRequest): ClickPlan {
    const refused = this.decide(request).refused;
    const id = `c2c-${request.crmCallId.slice(-40)}`;
    const call: NewCall = {
      id, crmCallId: request.crmCallId, channelId: `${id}-a`, linkedid: `${id}-a`, origin: request.origin, userId: request.userId,
      extension: request.extension, number: request.number, numberE164: null, line: request.line, state: refused ? 'stopped' : 'planned',
      plan: null, refusalCode: refused?.code ?? null, refusalMessage: refused?.message ?? null, startedAt: Date.now(),
    };
    return { ok: true, call, planned: request };
  }

  async dial(plan: Extract<ClickPlan, { readonly ok: true }>): Promise<ClickToCallResult> {
    const request = plan.planned as ClickToCallRequest;
    this.requests.push(request);
    if (this.failWith) throw this.failWith;
    if (plan.call.refusalCode !== null) return { status: 'refused', code: plan.call.refusalCode, message: plan.call.refusalMessage ?? '' };
    this.originated.push(request);
    return { status: 'originated' };
  }

  private decide(request: ClickToCallRequest) {
    return decideRoute(this.rules(), noCarriers, {
      user: request.userId, extension: request.extension, number: request.number,
      numberIsInternational: request.numberIsInternational, origin: request.origin, line: request.line,
    });
  }
}

/** A manual clock: `sleep` advances time at once (tests never wait for backoff or the limiter). */
export function manualClock(start = Date.UTC(2026, 10, 23, 10, 0, 0)): CrmClock & { advance(ms: number): void; t: number } {
  const c = {
    t: start,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
      await new Promise((r) => setImmediate(r));
    },
    advance: (ms: number) => {
      c.t += ms;
    },
  };
  return c;
}

let seq = 0;

/** An ended call as the tracker hands it over. */
export function callRecord(over: Partial<CallRecord> = {}): CallRecord {
  seq += 1;
  return {
    callId: `call-${seq}`,
    crmCallId: null,
    linkedid: `1732356000.${seq}`,
    origin: 'phone',
    userId: null,
    extension: '100',
    number: '+79261234567',
    startedAt: Date.UTC(2026, 10, 23, 9, 0, 0),
    answeredAt: Date.UTC(2026, 10, 23, 9, 0, 5),
    endedAt: Date.UTC(2026, 10, 23, 9, 1, 7),
    durationSec: 62,
    statusCode: '200',
    failedReason: null,
    trunkId: 'mts',
    b24Line: '101',
    cost: 3.0,
    recording: null,
    attempts: [],
    ...over,
  };
}

/** A temporary recordings directory with one small wav file. */
export function tempRecordings(): { dir: string; file: string; bytes: Buffer; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-rec-'));
  fs.mkdirSync(path.join(dir, '2026', '11', '23'), { recursive: true });
  const bytes = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(40, 1)]);
  const file = path.join(dir, '2026', '11', '23', 'call-1.wav');
  fs.writeFileSync(file, bytes);
  return { dir, file, bytes, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
