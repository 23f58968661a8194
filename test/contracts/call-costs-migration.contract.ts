import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { migrationSource, registerMigrations } from '../../src/adapters/db/migrations/index.ts';

/** Migration 013 on a database of its own (`open` gives an empty one; `close` removes it). */
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
}
