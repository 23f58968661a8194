import { execFile } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportSavings, type ReportCliDeps } from '../../../src/adapters/cli/commands/report.ts';
import { CallCostRepository } from '../../../src/adapters/db/repositories/call-cost-repository.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import type { CallRecord } from '../../../src/app/calls/call-record.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { createAdminRouter, type AdminRouterDeps } from '../../../src/composition/admin-router.ts';
import { instrumentCalls } from '../../../src/composition/instrument.ts';
import type { CallsSide } from '../../../src/composition/calls-side.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { labProbe } from '../../contracts/calls-replay.ts';
import { labRules } from '../../contracts/calls-lab-rules.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { SAVINGS_RULES } from '../../contracts/savings-fixtures.ts';
import { AmiScript, c2cChannels } from '../../unit/calls/ami-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const env = loadEnv({});
const TOKEN = 'admin-secret-for-tests';

let h: CallsHarness;
let out: string[];
let deps: ReportCliDeps;
let now: number;

// trunk-answer bills per second: a 61 s call costs 61/60 × 1.50.
const rules = labRules({ trunks: { 'trunk-answer': { tariffs: { byCarrier: {}, byPrefix: [], default: 1.5, increment: { first: 1, step: 1 } } } } });

beforeAll(async () => {
  h = await callsHarness(rules);
  // A click-to-call through the real route service and tracker: congestion, then answered, 61 s of talk.
  await h.clickToCall({ crmCallId: 'externalCall.sv.1', number: '+79160000001' }, 'sv1');
  const probe = labProbe('c2c-sv1-a', {});
  await h.service.route({ exten: '79160000001', attemptNo: 1, dialStatus: '', hangupCause: 0, uniqueid: 'c2c-sv1-a', callerIdNum: '100' }, probe);
  await h.service.route({ exten: '79160000001', attemptNo: 2, dialStatus: 'CONGESTION', hangupCause: 34, uniqueid: 'c2c-sv1-a', callerIdNum: '100' }, probe);
  const { manager, legs } = c2cChannels('sv1', 2);
  const l2 = legs[1] as (typeof legs)[0];
  for (const e of new AmiScript().newchannel(manager).newchannel(l2).dialBegin(manager, l2, '79160000001@trunk-answer').dialEnd(manager, l2, 'ANSWER')
    .wait(61).hangup(l2, 16).hangup(manager, 16).events) h.tracker.handle(e);
  await h.tracker.flush();
  now = h.clock.now() + 1000;
  deps = {
    openSource: async () => ({ source: new CallCostRepository(h.db), close: async () => undefined }),
    loadRules: () => rules,
    now: () => now,
    stdout: (t) => out.push(t),
  };
});
afterAll(async () => h.close());

async function cli(opts: Parameters<typeof runReportSavings>[0]): Promise<string> {
  out = [];
  await runReportSavings(opts, deps, env);
  return out.join('');
}

describe('report savings', () => {
  it('a call routed and tracked for real is priced under its trunk\'s increment and counted under its department', async () => {
    const json = JSON.parse(await cli({ json: true, by: 'department' }));
    expect(json).toMatchObject({ calls: 1, talkSeconds: 61, minutes: 1.02, actualCost: 1.525, currency: 'RUB' });
    expect(json.groups).toEqual([expect.objectContaining({ key: '10', calls: 1, actualCost: 1.525 })]);
    // The lab's department has no default trunk: no baseline to compare with.
    expect(json.callsWithoutBaseline).toBe(1);
    const row = await h.db('calls').where({ id: 'c2c-sv1' }).first('cost_units', 'department_id');
    expect(row).toEqual({ cost_units: 15_250, department_id: '10' });
  });

  it('prints text and CSV; refuses a bad --by or date with exit 2 and a message naming the option', async () => {
    expect(await cli({})).toMatch(/1 answered calls, 1\.02 billed minutes[\s\S]*actual cost +1\.53 ₽/);
    const csv = (await cli({ csv: true })).trim().split('\n');
    expect(csv[0]).toBe('group,name,calls,minutes,actual_cost,baseline_cost,cheapest_cost,saving,saving_pct');
    expect(csv[1]).toMatch(/^trunk-answer,trunk-answer,1,1\.02,1\.525,/);
    expect(csv.at(-1)).toMatch(/^total,,1,1\.02,1\.525,/);
    await expect(cli({ by: 'week' })).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('--by must be one of trunk, department, carrier, day') });
    await expect(cli({ from: '2026-13-01' })).rejects.toMatchObject({ exitCode: 2, message: 'report savings: --from: "2026-13-01" is not a date' });
    await expect(cli({ json: true, csv: true })).rejects.toMatchObject({ exitCode: 2 });
  });

  it('GET /admin/reports/savings answers the same JSON with the admin token only', async () => {
    const app = express();
    const routerDeps = {
      token: TOKEN, reload: async () => ({ ok: true, errors: [] }), rules: { current: () => rules },
      carriers: {}, calls: {} as CallsSide, callCosts: new CallCostRepository(h.db), now: () => now,
    } as unknown as AdminRouterDeps;
    app.use('/admin', createAdminRouter(routerDeps));
    await request(app).get('/admin/reports/savings').expect(401);
    const res = await request(app).get('/admin/reports/savings?by=department').set('authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.body).toEqual(JSON.parse(await cli({ json: true, by: 'department' })));
    const bad = await request(app).get('/admin/reports/savings?by=week').set('authorization', `Bearer ${TOKEN}`).expect(400);
    expect(bad.body.message).toContain('by');
    const badDate = await request(app).get('/admin/reports/savings?from=yesterday').set('authorization', `Bearer ${TOKEN}`).expect(400);
    expect(badDate.body.message).toBe('from: "yesterday" is not a date (YYYY-MM-DD) or an ISO time with its zone (2026-11-01T09:00:00Z)');
  });

  it('/metrics counts the cost and talk time of ended calls by trunk', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const callEvents = new EventEmitter();
    instrumentCalls({ calls: {} as CallsSide, ami: null, metrics, callEvents });
    const record = (await h.store.getRecord('c2c-sv1')) as CallRecord;
    callEvents.emit('call-ended', record);
    callEvents.emit('call-ended', record);
    const text = await metrics.registry.metrics();
    expect(text).toContain('b24pbx_call_cost_rub_total{trunk="trunk-answer"} 3.05');
    expect(text).toContain('b24pbx_call_talk_seconds_total{trunk="trunk-answer"} 122');
  });
});

describe('b24pbx report savings (the built CLI)', () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof tempSqliteDb>>;
  beforeAll(async () => {
    db = await tempSqliteDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-savings-rules-'));
    for (const [file, text] of Object.entries(SAVINGS_RULES)) fs.writeFileSync(path.join(dir, file), text);
    fs.writeFileSync(path.join(dir, 'carriers.yaml'), 'carriers:\n  mts: { inn: [\'7740000076\'] }\n  beeline: { inn: [\'7713076301\'] }\n');
  });
  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs against DATABASE_URL and RULES_DIR; exit 2 for a bad option', async () => {
    const run = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('node', [path.join(ROOT, 'bin/b24pbx.js'), 'report', 'savings', ...args], { env: { ...process.env, DATABASE_URL: db.url, RULES_DIR: dir } }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
    const ok = await run(['--from', '2026-11-01', '--to', '2026-11-30', '--json']);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toMatchObject({ from: '2026-10-31T21:00:00.000Z', to: '2026-11-30T21:00:00.000Z', calls: 0, advice: [] });
    const bad = await run(['--by', 'week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--by must be one of');
  });
});
