import { afterEach, describe, expect, it } from 'vitest';
import { CallsRepository } from '../../../src/adapters/db/repositories/calls-repository.ts';
import { silentLogger } from '../../../src/adapters/logging/logger.ts';
import { createMetrics } from '../../../src/adapters/metrics/metrics.ts';
import { buildAlerts } from '../../../src/composition/alerts.ts';
import { buildTrunkHealth } from '../../../src/composition/trunk-health.ts';
import { loadEnv } from '../../../src/config/env.ts';
import { Alerts, recordAlert } from '../../../src/app/alerts/alerts.ts';
import { AlertsRepository } from '../../../src/adapters/db/repositories/alerts-repository.ts';
import type { Db } from '../../../src/adapters/db/connection.ts';
import { labRules } from '../../contracts/calls-lab-rules.ts';
import { signIn, startConsole } from '../../support/console.ts';
import { tempSqliteDb } from '../../support/db.ts';

const T0 = Date.UTC(2027, 0, 15, 7, 0, 0);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** Alerts stored in `db` whose notices land in `sent`, with /metrics wired as the connector wires them. */
function capturedAlerts(db: Db, now: () => number) {
  const metrics = createMetrics({ defaultMetrics: false });
  const sent: string[] = [];
  const alerts = new Alerts({
    store: new AlertsRepository(db), clock: { now }, repeatMs: 15 * 60_000, logger: silentLogger,
    notifier: { async send(text) { sent.push(text); } },
    onRaised: (kind) => metrics.alertsRaisedTotal.inc({ kind }),
  });
  metrics.alertSource = () => alerts.counts();
  return { alerts, metrics, sent };
}

async function failedAttempt(store: CallsRepository, id: string, trunkId: string, cause: number): Promise<void> {
  await store.createCall({
    id, crmCallId: null, channelId: `${id}.ch`, linkedid: `${id}.ch`, origin: 'phone', userId: '12', extension: '100',
    number: '+79160000004', numberE164: '+79160000004', line: null, state: 'routing', plan: null, refusalCode: null, refusalMessage: null, startedAt: T0 - 5000,
  });
  await store.addAttempt({
    callId: id, attemptNo: 1, planIndex: 0, trunkId, dial: `Local/79160000004@${trunkId}`, callerId: null,
    tier: 'mask', perMinute: 1.5, linkedid: `${id}.ch`, startedAt: T0 - 5000,
  });
  await store.setAttemptOutcome(id, 1, { dialStatus: 'CHANUNAVAIL', hangupCause: cause, decision: 'rotate', source: 'agi', endedAt: T0 - 4000 });
}

describe('alerts raised where trouble is noticed', () => {
  it('a GSM SIM out of credit (cause 68) is a sim-credit alert: told to admins and counted on /metrics', async () => {
    const handle = await tempSqliteDb();
    closers.push(() => handle.close());
    const rules = labRules({ trunks: { 'trunk-nobalance': { kind: 'gsm', carrier: 'mts', international: false } } });
    const { alerts, metrics, sent } = capturedAlerts(handle.db, () => T0);
    const health = buildTrunkHealth({ db: handle.db, rules: { current: () => rules }, logger: silentLogger, metrics, clock: { now: () => T0 }, alerts });
    await health.refresh();
    expect(await alerts.active()).toEqual([]);

    await failedAttempt(new CallsRepository(handle.db, () => T0), 'desk-1', 'trunk-nobalance', 68);
    await health.refresh();
    await alerts.idle();

    expect(sent).toEqual(['[PBX connector] ALERT sim-credit: trunk trunk-nobalance: the SIM reports no credit (cause 68); out of routes until a trial call succeeds']);
    const text = await metrics.registry.getSingleMetricAsString('b24pbx_alerts_active');
    expect(text).toContain('b24pbx_alerts_active{kind="sim-credit"} 1');
    expect(text).toContain('b24pbx_alerts_active{kind="trunk-breaker"} 0');
    expect(await metrics.registry.getSingleMetricAsString('b24pbx_alerts_raised_total')).toContain('b24pbx_alerts_raised_total{kind="sim-credit"} 1');
  });

  it('a breaker opened by technical failures is a trunk-breaker alert naming the causes', async () => {
    const handle = await tempSqliteDb();
    closers.push(() => handle.close());
    const rules = labRules({});
    const trunk = rules.trunks[0]!.trunk;
    const { alerts, metrics, sent } = capturedAlerts(handle.db, () => T0);
    const health = buildTrunkHealth({ db: handle.db, rules: { current: () => rules }, logger: silentLogger, metrics, clock: { now: () => T0 }, alerts });
    const store = new CallsRepository(handle.db, () => T0);
    for (let i = 0; i < trunk.breaker.failures; i++) await failedAttempt(store, `desk-${i}`, trunk.id, 34);
    await health.refresh();
    await alerts.idle();

    expect(await alerts.active()).toEqual([expect.objectContaining({ kind: 'trunk-breaker', subject: trunk.id })]);
    expect(sent).toEqual([expect.stringContaining(`ALERT trunk-breaker: trunk ${trunk.id}: breaker open after ${trunk.breaker.failures} failures (34 ×${trunk.breaker.failures})`)]);
    expect(await metrics.registry.getSingleMetricAsString('b24pbx_alerts_active')).toContain('b24pbx_alerts_active{kind="trunk-breaker"} 1');
  });

  it('a refused numbering-plan import from the console is an alert on the dashboard', async () => {
    let captured: ReturnType<typeof capturedAlerts> | null = null;
    const h = await startConsole({ alerts: (db) => (captured = capturedAlerts(db, () => Date.now())).alerts });
    const { alerts, sent } = captured!;
    closers.push(() => h.close());
    const { agent, csrf } = await signIn(h.app, 'anna');
    expect((await agent.get('/console/?lang=en').expect(200)).text).toContain('No active alerts');

    const job = (await agent.post('/console/numbering/imports').set('X-CSRF-Token', csrf).expect(201)).body as { id: string };
    await agent.post(`/console/numbering/imports/${job.id}/files`).query({ name: 'plan.csv' })
      .set('X-CSRF-Token', csrf).set('Content-Type', 'application/octet-stream').send(Buffer.from('not;a;plan\n')).expect(200);
    await agent.post(`/console/numbering/imports/${job.id}/start`).set('X-CSRF-Token', csrf).expect(202);
    // The import runs in the background; the page polls it, and so does the test (the refusal is the event).
    let state = 'importing';
    while (state === 'importing') state = ((await agent.get(`/console/numbering/imports/${job.id}`).expect(200)).body as { state: string }).state;
    expect(state).toBe('failed');
    await alerts.idle();

    expect(sent).toEqual([expect.stringMatching(/^\[PBX connector\] ALERT import-refused: numbering-plan import of plan\.csv refused: /)]);
    const page = (await agent.get('/console/?lang=en').expect(200)).text;
    expect(page).toContain('id="alerts"');
    expect(page).toContain('numbering-plan import of plan.csv refused');
  });

  it('an alert recorded elsewhere (another instance, the CLI) is on this dashboard', async () => {
    const h = await startConsole({ alerts: (db) => capturedAlerts(db, () => Date.now()).alerts });
    closers.push(() => h.close());
    await recordAlert(new AlertsRepository(h.db), { kind: 'import-refused', subject: '', message: 'numbering-plan import of DEF-9xx.csv refused (b24pbx carriers): the plan would lose 40 % of DEF numbers' }, Date.now());
    const { agent } = await signIn(h.app, 'viktor');
    const page = (await agent.get('/console/?lang=en').expect(200)).text;
    expect(page).not.toContain('No active alerts');
    expect(page).toContain('numbering-plan import of DEF-9xx.csv refused (b24pbx carriers): the plan would lose 40 % of DEF numbers');
  });

  it('no ALERT_B24_USERS: alerts show on /metrics only; bad settings are refused naming the variable', async () => {
    const handle = await tempSqliteDb();
    closers.push(() => handle.close());
    const metrics = createMetrics({ defaultMetrics: false });
    const built = buildAlerts({ db: handle.db, env: loadEnv({ DATABASE_URL: ':memory:' }), logger: silentLogger, metrics, gateway: () => null, isLeader: () => true,
      seen: () => ({ amiConnected: null, breakers: null }) });
    closers.push(() => built.stop());
    built.alerts.raise({ kind: 'ami-down', subject: '', message: 'AMI is down' });
    await built.alerts.idle();
    expect(await metrics.alertSource()).toMatchObject({ 'ami-down': 1 });
    expect(await metrics.registry.getSingleMetricAsString('b24pbx_alerts_active')).toContain('b24pbx_alerts_active{kind="ami-down"} 1');
    expect(() => loadEnv({ DATABASE_URL: ':memory:', ALERT_B24_USERS: 'anna' })).toThrow(/ALERT_B24_USERS/);
    expect(() => loadEnv({ DATABASE_URL: ':memory:', ALERT_AMI_GRACE_S: '-5' })).toThrow(/ALERT_AMI_GRACE_S/);
    expect(() => loadEnv({ DATABASE_URL: ':memory:', ALERT_AMI_GRACE_S: 'soon' })).toThrow(/ALERT_AMI_GRACE_S/);
    expect(loadEnv({ DATABASE_URL: ':memory:' }).ALERT_AMI_GRACE_S).toBe(30);
  });
});
