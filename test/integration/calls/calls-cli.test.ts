import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCallsList, runCallsShow, type CallsCliDeps } from '../../../src/adapters/cli/commands/calls.ts';
import { CliFailure } from '../../../src/adapters/cli/failure.ts';
import { explainRoute } from '../../../src/app/routing/route-call.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { labProbe } from '../../contracts/calls-replay.ts';
import { tempSqliteDb } from '../../support/db.ts';
import { AmiScript, c2cChannels } from '../../unit/calls/ami-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let h: CallsHarness;
let out: string[];
let deps: CallsCliDeps;
const env = loadEnv({});

beforeEach(async () => {
  h = await callsHarness();
  out = [];
  deps = {
    openStore: async () => ({ store: h.store, close: async () => undefined }),
    explain: async (_e, call) => explainRoute(h.routing, { user: call.userId, extension: call.extension, number: call.numberE164 ?? call.number, origin: call.origin, line: call.line }),
    stdout: (t) => out.push(t),
    stderr: () => undefined,
  };
  // A click-to-call: congestion on the first trunk, answered on the second, 61 s of talk.
  await h.clickToCall({ crmCallId: 'externalCall.cli.1', number: '+79160000001' }, 's1');
  const probe = labProbe('c2c-s1-a', {});
  await h.service.route({ exten: '79160000001', attemptNo: 1, dialStatus: '', hangupCause: 0, uniqueid: 'c2c-s1-a', callerIdNum: '100' }, probe);
  await h.service.route({ exten: '79160000001', attemptNo: 2, dialStatus: 'CONGESTION', hangupCause: 34, uniqueid: 'c2c-s1-a', callerIdNum: '100' }, probe);
  const { manager, legs } = c2cChannels('s1', 2);
  const l2 = legs[1] as (typeof legs)[0];
  for (const e of new AmiScript().newchannel(manager).newchannel(l2).dialBegin(manager, l2, '79160000001@trunk-answer').dialEnd(manager, l2, 'ANSWER')
    .wait(61).hangup(l2, 16).hangup(manager, 16).events) h.tracker.handle(e);
  await h.tracker.flush();
});
afterEach(async () => h.close());

describe('calls show / calls list', () => {
  it('shows the plan with tiers, each attempt and outcome, the final STATUS_CODE and the explanation', async () => {
    await runCallsShow('externalCall.cli.1', {}, deps, env);
    const text = out.join('');
    expect(text).toContain('call c2c-s1: click-to-call (crm), CRM call externalCall.cli.1');
    expect(text).toMatch(/1\. trunk-congestion {2}tier mask/);
    expect(text).toMatch(/#1 trunk-congestion[\s\S]*CONGESTION, cause 34 → rotate \(reported by the next route request\)/);
    expect(text).toMatch(/#2 trunk-answer[\s\S]*ANSWER, cause 16 → stop \(from AMI events\)/);
    expect(text).toContain('STATUS_CODE 200');
    expect(text).toContain('duration 61 s, cost 3');
    expect(text).toMatch(/leg 1795440000\.3 {2}79160000001@trunk-answer {2}DialEnd ANSWER/);
    expect(text).toContain('why this plan');
  });

  it('prints JSON with --json, and finds the call by its Linkedid too', async () => {
    await runCallsShow('c2c-s1-a', { json: true }, deps, env);
    const json = JSON.parse(out.join('')) as { call: { statusCode: string }; attempts: unknown[]; explanation: { attempts: unknown[] } };
    expect(json.call.statusCode).toBe('200');
    expect(json.attempts).toHaveLength(2);
    expect(json.explanation.attempts).toHaveLength(2);
  });

  it('exits 1 for an unknown call, 2 for a bad --limit', async () => {
    await expect(runCallsShow('nope', {}, deps, env)).rejects.toMatchObject({ exitCode: 1 });
    await expect(runCallsList({ limit: '0' }, deps, env)).rejects.toBeInstanceOf(CliFailure);
  });

  it('lists recent calls', async () => {
    await runCallsList({ limit: '5' }, deps, env);
    expect(out.join('')).toMatch(/c2c-s1 +crm +ext 100 +\+79160000001 +200 +trunk-answer +61 s/);
  });

  it('runs as `b24pbx calls show` against DATABASE_URL', async () => {
    const t = await tempSqliteDb();
    try {
      const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile('node', [path.join(ROOT, 'bin/b24pbx.js'), 'calls', 'show', 'missing-call'], { env: { ...process.env, DATABASE_URL: t.url, RULES_DIR: path.join(ROOT, 'rules') } }, (err, _stdout, stderr) => {
          resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr });
        });
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('no call "missing-call"');
    } finally {
      await t.close();
    }
  });
});
