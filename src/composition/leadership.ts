import crypto from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import { isSqlite, type Db } from '../adapters/db/connection.ts';
import { LeaseRepository } from '../adapters/db/repositories/lease-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import { LeaseLostError, Leadership } from '../app/leadership/leadership.ts';

/** A lease and the fencing check its holder's database writes run first. */
export interface Lead {
  readonly gate: Leadership;
  readonly fence: (trx: Knex.Transaction) => Promise<void>;
}

export interface Leaders {
  readonly holder: string;
  /** Following the PBX's AMI events and its channel list (one lease per PBX). */
  readonly pbx: Lead;
  /** Scheduled jobs: user and line sync, outbox purge. */
  readonly jobs: Lead;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The leases of this instance; each instance of a deployment builds the same names. */
export function createLeaders(db: Db, o: { readonly pbx: string; readonly ttlMs: number; readonly logger: Logger }): Leaders {
  const store = new LeaseRepository(db);
  const holder = `${os.hostname()}/${process.pid}/${crypto.randomBytes(4).toString('hex')}`;
  // SQLite is one instance per database file (several instances need PostgreSQL): a restart after a
  // crash leads at once instead of waiting out the dead process's lease; should a second process
  // open the same file, the fencing term shuts the first one out.
  const takeOverAtStart = isSqlite(db);
  const lead = (name: string): Lead => {
    const gate = new Leadership({ name, holder, store, ttlMs: o.ttlMs, logger: o.logger, takeOverAtStart });
    return {
      gate,
      fence: (trx) => {
        const term = gate.term();
        return term === null ? Promise.reject(new LeaseLostError(name, null)) : store.fence(trx, name, holder, term);
      },
    };
  };
  const pbx = lead(`pbx ${o.pbx}`);
  const jobs = lead('jobs');
  return {
    holder, pbx, jobs,
    async start() {
      await pbx.gate.start();
      await jobs.gate.start();
    },
    async stop() {
      await pbx.gate.stop();
      await jobs.gate.stop();
    },
  };
}
