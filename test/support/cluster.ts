import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { openDb } from '../../src/adapters/db/connection.ts';
import pino from 'pino';
import { createLogger, silentLogger } from '../../src/adapters/logging/logger.ts';
import { listenHttp, startConnector, type Connector } from '../../src/composition/connector.ts';
import { loadEnv, type Env } from '../../src/config/env.ts';
import { startPbxDouble, type PbxDouble, type PhoneScript, type TrunkScript } from '../../src/doubles/asterisk/index.ts';
import { startBitrix24Double, type Bitrix24Double } from '../../src/doubles/bitrix24/server.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const SHIPPED_RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

/** One connector instance; its database and AMI connections go through proxies the test can cut. */
export interface Instance {
  readonly name: string;
  readonly connector: Connector;
  readonly baseUrl: string;
  readonly db: TcpProxy | null;
  readonly ami: TcpProxy;
  /** Still reachable (not crashed). */
  alive: boolean;
}

export interface Cluster {
  readonly pbx: PbxDouble;
  readonly bitrix24: Bitrix24Double;
  /** Asterisk's one AGI address: a TCP round robin over the live instances' FastAGI ports. */
  readonly agi: TcpProxy;
  readonly instances: Instance[];
  readonly rulesDir: string;
  readonly ttlMs: number;
  start(): Promise<Instance>;
  /**
   * What the others see of a `kill -9`: every connection of the instance gone at once (database,
   * AMI, FastAGI, HTTP) and no goodbye (its lease is not released).
   */
  crash(i: Instance): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  /** DATABASE_URL of an instance, given the port of its database proxy (null: no proxy, SQLite). */
  readonly databaseUrl: (proxyPort: number | null) => string;
  /** The database's TCP port (PostgreSQL), relayed through each instance's proxy; null for SQLite. */
  readonly databasePort: number | null;
  readonly trunks: TrunkScript;
  readonly defaultPhone?: PhoneScript;
  readonly phones?: Readonly<Record<string, PhoneScript>>;
  readonly timeScale: number;
  readonly env?: Readonly<Record<string, string>>;
}

export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-cluster-'));
  const rulesDir = path.join(tmp, 'rules');
  fs.cpSync(SHIPPED_RULES, rulesDir, { recursive: true });
  const amiSecret = crypto.randomBytes(12).toString('hex');
  const client = { clientId: 'local.b24pbx.cluster', clientSecret: crypto.randomBytes(12).toString('hex') };
  const bitrix24 = await startBitrix24Double({ ...client, rateLimit: false });
  const instances: Instance[] = [];
  const agi = await startTcpProxy(() => instances.filter((i) => i.alive).map((i) => i.connector.agiPort));
  const pbx = await startPbxDouble({
    users: [{ username: 'connector', secret: amiSecret }],
    fastAgi: { host: '127.0.0.1', port: agi.port },
    trunks: o.trunks,
    defaultPhone: o.defaultPhone ?? { kind: 'answer', afterMs: 0 },
    ...(o.phones ? { phones: o.phones } : {}),
    timeScale: o.timeScale,
    loginFailureDelayMs: 0,
  });
  const base = loadEnv({
    PORT: '0', AGI_PORT: '0', LOG_LEVEL: 'silent', RULES_DIR: rulesDir,
    TRACKER_FLUSH_MS: '20', OUTBOX_POLL_MS: '20', TRACKER_RECONCILE_MS: '1000',
    // Short enough for a takeover in seconds, long enough that a loaded test machine does not flap.
    LEADER_TTL_S: '3', RULES_POLL_MS: '100', PBX_NAME: 'pbx',
    ...o.env,
  });
  const ttlMs = base.LEADER_TTL_S * 1000;

  const start = async (): Promise<Instance> => {
    const dbPort = o.databasePort;
    const db = dbPort === null ? null : await startTcpProxy(() => [dbPort]);
    const ami = await startTcpProxy(() => [pbx.amiPort]);
    const http = await listenHttp(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const env: Env = {
      ...base,
      DATABASE_URL: o.databaseUrl(db?.port ?? null),
      AMI_HOST: '127.0.0.1', AMI_PORT: ami.port, AMI_USER: 'connector', AMI_SECRET: amiSecret,
      AMI_RECONNECT_MIN_MS: 50, AMI_RECONNECT_MAX_MS: 200,
      AGI_HOST: '127.0.0.1', ORIGINATE_CHANNEL: 'PJSIP/{extension}',
      B24_MODE: 'app', B24_CLIENT_ID: client.clientId, B24_CLIENT_SECRET: client.clientSecret, PUBLIC_URL: baseUrl,
      B24_OAUTH_URL: bitrix24.baseUrl, B24_ALLOW_HTTP_LOOPBACK: true,
    };
    // CLUSTER_LOG=/tmp/cl writes each instance's debug log to /tmp/cl.1, /tmp/cl.2… (when a run needs explaining).
    const connector = await startConnector({ env, logger: process.env.CLUSTER_LOG ? createLogger('debug', pino.destination(`${process.env.CLUSTER_LOG}.${instances.length + 1}`)) : silentLogger, sampleDataIfEmpty: true, httpServer: http });
    const instance: Instance = { name: `instance ${instances.length + 1}`, connector, baseUrl, db, ami, alive: true };
    instances.push(instance);
    if (instances.length === 1) {
      const installed = await bitrix24.postInstall(`${baseUrl}/bitrix24/install`);
      if (installed.status !== 200) throw new Error(`install failed: HTTP ${installed.status} ${installed.body}`);
    }
    return instance;
  };

  return {
    pbx, bitrix24, agi, instances, rulesDir, ttlMs, start,
    async crash(i) {
      i.alive = false;
      i.connector.httpServer.closeAllConnections();
      i.connector.httpServer.close();
      await i.ami.cut();
      await i.db?.cut();
      // Its timers keep running, but nothing they do reaches anyone (SQLite: the file is shared,
      // so the process is really stopped, minus the lease release).
      if (!i.db) await stopWithoutRelease(i.connector);
    },
    async close() {
      for (const i of instances) {
        if (i.alive) await i.connector.stop();
        else if (i.db) await i.connector.stop().catch(() => undefined);
      }
      await agi.cut();
      await pbx.close();
      await bitrix24.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** A stop that leaves the lease rows as a killed process would: held until they expire. */
async function stopWithoutRelease(c: Connector): Promise<void> {
  const rows = (await c.db('leader_lease').select('*')) as Record<string, unknown>[];
  const url = c.env.DATABASE_URL;
  await c.stop();
  const db = openDb({ url });
  try {
    for (const row of rows) await db('leader_lease').where({ name: row.name }).update(row);
  } finally {
    await db.destroy();
  }
}

/** Polls until `check` holds; fails naming what it waited for. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** The instance holding the PBX lease now (by its own account), if any. */
export function pbxLeader(c: Cluster): Instance | undefined {
  return c.instances.find((i) => i.alive && i.connector.leaders.pbx.gate.term() !== null);
}
