import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { migrationSource, registerMigrations } from '../../src/adapters/db/migrations/index.ts';

/** Migrations 013 and 021 on a database of its own (`open` gives an empty one; `close` removes it). */
export function callCostsMigrationContract(label: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`migration 013_call_costs on ${label}`, () => {
    it('gives calls stored before it their cost in units and their destination from the stored plan; their department stays unknown', async () => {
      const { db, close } = await open();
      try {
        const before = registerMigrations().findIndex((m) => m.name === '013_call_costs');
        for (let i = 0; i < before; i++) await db.migrate.up({ migrationSource });
        const row = { origin: 'phone', number: '+79261234567', number_e164: '+79261234567', state: 'ended', started_at: 1000, crm_handoff: 'done', updated_at: 1000 };
        await db('calls').insert([
          { ...row, id: 'old-1', cost: 3.0517, duration_sec: 61, plan: JSON.stringify({ attempts: [], carrier: 'megafon', manualLine: null, rotateAfterManualLine: false, maxAttempts: 5, record: true }) },
          { ...row, id: 'old-2', cost: null, duration_sec: 0, plan: null },
        ]);
        await db.migrate.up({ migrationSource }); // 013 itself, so that `down` below undoes it
        const rows = await db('calls').orderBy('id').select('id', 'cost_units', 'dest_carrier', 'dest_on_net', 'dest_country', 'department_id');
        expect(rows.map((r: Record<string, unknown>) => ({ ...r, cost_units: r.cost_units === null ? null : Number(r.cost_units) }))).toEqual([
          { id: 'old-1', cost_units: 30_517, dest_carrier: 'megafon', dest_on_net: 'megafon', dest_country: null, department_id: null },
          { id: 'old-2', cost_units: null, dest_carrier: null, dest_on_net: null, dest_country: null, department_id: null },
        ]);
        // And back: the columns and the index go, the calls stay.
        await db.migrate.down({ migrationSource });
        expect(Number((await db('calls').count({ n: '*' }).first())?.n)).toBe(2);
        expect(await db.schema.hasColumn('calls', 'cost_units')).toBe(false);
      } finally {
        await close();
      }
    });
  });

  describe(`migration 021_call_cost_totals on ${label}`, () => {
    it('adds calls stored before it to the daily totals; a call written afterwards joins them; down removes the totals and keeps the calls', async () => {
      const { db, close } = await open();
      try {
        const before = registerMigrations().findIndex((m) => m.name === '021_call_cost_totals');
        for (let i = 0; i < before; i++) await db.migrate.up({ migrationSource });
        const hour = Date.UTC(2026, 10, 2, 9);
        const day = Math.floor((hour + 3 * 3_600_000) / 86_400_000); // a Moscow day
        const row = { origin: 'phone', state: 'ended', crm_handoff: 'done', updated_at: 1000, trunk_id: 'gsm-mts', dest_carrier: 'mts', dest_on_net: 'mts', dest_country: 'RU', department_id: '10' };
        await db('calls').insert([
          { ...row, id: 'old-1', number: '+79161234567', number_e164: '+79161234567', started_at: hour + 60_000, duration_sec: 61, cost_units: 50_000 },
          { ...row, id: 'old-2', number: '+79169876543', number_e164: '+79169876543', started_at: hour + 120_000, duration_sec: 5, cost_units: 25_000 },
          { ...row, id: 'old-unanswered', number: '+79161111111', number_e164: '+79161111111', started_at: hour, duration_sec: 0, cost_units: 0 },
          { ...row, id: 'old-unpriced', number: '+79161111112', number_e164: '+79161111112', started_at: hour, duration_sec: 30, cost_units: null },
        ]);
        await db.migrate.up({ migrationSource });
        const totals = async () => (await db('call_cost_totals').where({ first_sec: 60, step_sec: 60 }).select('bucket', 'prefix', 'calls', 'talk_sec', 'cost_units', 'billed_sec'))
          .map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'prefix' ? v : Number(v)])));
        expect(await totals()).toEqual([{ bucket: day, prefix: '7916', calls: 2, talk_sec: 66, cost_units: 75_000, billed_sec: 120 + 60 }]);
        await db('calls').insert({ ...row, id: 'new-1', number: '+79160000000', number_e164: '+79160000000', started_at: hour + 3_000_000, duration_sec: 10, cost_units: 1_000 });
        expect(await totals()).toEqual([{ bucket: day, prefix: '7916', calls: 3, talk_sec: 76, cost_units: 76_000, billed_sec: 240 }]);
        await db.migrate.down({ migrationSource });
        expect(await db.schema.hasTable('call_cost_totals')).toBe(false);
        await db('calls').insert({ ...row, id: 'new-2', number: '+79160000001', number_e164: '+79160000001', started_at: hour, duration_sec: 10, cost_units: 1_000 });
        expect(Number((await db('calls').count({ n: '*' }).first())?.n)).toBe(6);
      } finally {
        await close();
      }
    });
  });
}
