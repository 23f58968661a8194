import type { Knex } from 'knex';
import { numberingMigration } from './001_numbering.ts';
import { callsMigration } from './002_calls.ts';
import { crmMigration } from './003_crm.ts';
import { openCallsMigration } from './004_open_calls.ts';
import { portalPinMigration } from './005_portal_pin.ts';
import { trunkHealthMigration } from './008_trunk_health.ts';
import { leadershipRulesMigration } from './009_leadership_rules.ts';
import { channelClaimsMigration } from './010_channel_claims.ts';
import { dialerMigration } from './012_dialer.ts';
import { callCostsMigration } from './013_call_costs.ts';
import { consoleMigration } from './014_console.ts';
import { dialerPacingMigration } from './017_dialer_pacing.ts';
import { inboundCardsMigration } from './020_inbound_cards.ts';
import { callCostTotalsMigration } from './021_call_cost_totals.ts';
import { alertsMigration } from './022_alerts.ts';
import { outboxOpenMigration } from './023_outbox_open.ts';

export interface Migration {
  readonly name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

// Explicit list (not a directory scan): the same migrations run under tsx, vitest and on both
// SQLite and PostgreSQL. Append new ones at the end; never reorder or rename a released one.
const migrations: readonly Migration[] = [
  // numbering plan, ported numbers
  numberingMigration,
  // calls, attempts
  callsMigration,
  // crm outbox, portal, users
  crmMigration,
  // the index of calls not ended yet
  openCallsMigration,
  // the portal the connector is pinned to
  portalPinMigration,
  // trunk health and SIM limits: failure and per-trunk indexes, SIM gap reservations
  trunkHealthMigration,
  // leader lease, rules versions
  leadershipRulesMigration,
  // claims on a trunk's last free channel, shared by instances
  channelClaimsMigration,
  // the auto-dialer: campaigns, operators, leads, attempts, do-not-call list
  dialerMigration,
  // per-call cost in integer units, destination and department columns, the savings report's index
  callCostsMigration,
  // web console: accounts, sessions, audit log
  consoleMigration,
  // the dialer's abandoned-rate window per campaign
  dialerPacingMigration,
  // inbound calls' CRM cards in progress, shared by instances
  inboundCardsMigration,
  // daily totals of call costs, kept by triggers, for the savings report
  callCostTotalsMigration,
  // admin alerts shared by instances and the CLI
  alertsMigration,
  // the outbox's open entries in id order, for the claim
  outboxOpenMigration,
];

export function registerMigrations(): readonly Migration[] {
  return migrations;
}

export const migrationSource: Knex.MigrationSource<Migration> = {
  async getMigrations() {
    return [...migrations];
  },
  getMigrationName(m) {
    return m.name;
  },
  async getMigration(m) {
    return { up: (db: Knex) => m.up(db), down: (db: Knex) => m.down(db) };
  },
};
