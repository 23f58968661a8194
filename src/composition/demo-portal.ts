import { ensureMigrated, openDb } from '../adapters/db/connection.ts';
import { CallsRepository } from '../adapters/db/repositories/calls-repository.ts';
import { PortalRepository } from '../adapters/db/repositories/portal-repository.ts';
import type { DoubleCall } from '../doubles/bitrix24/portal-state.ts';
import type { Bitrix24Double, Bitrix24DoubleOptions } from '../doubles/bitrix24/server.ts';
import { ConfigError } from '../config/env.ts';

/** What the Bitrix24 double must be to stay the portal this database already has installed. */
export interface RememberedDemoPortal {
  readonly double: Pick<Bitrix24DoubleOptions, 'domain' | 'identity'>;
  /** The port of its REST endpoint last time (the stored tokens point there). */
  readonly port: number;
  /** The latest calls it registered: their finish and records may still be on their way. */
  readonly calls: readonly Pick<DoubleCall, 'CALL_ID' | 'USER_ID' | 'PHONE_NUMBER' | 'LINE_NUMBER' | 'registeredAt'>[];
}

/** Enough for the calls a stop or a crash can leave with CRM writes still to do. */
const RECENT_CALLS = 500;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The demo's Bitrix24 double lives only as long as the process, but the database remembers the
 * portal it installed. The next start must bring back that same portal (member_id, tokens), or
 * the install is refused as another portal's; and with the calls it registered, or the CRM writes
 * still owed for them are refused as unknown calls. A real portal installed in this database is never
 * replaced by the demo: that is a clear refusal instead.
 */
export async function rememberedDemoPortal(databaseUrl: string): Promise<RememberedDemoPortal | null> {
  const db = openDb({ url: databaseUrl });
  try {
    await ensureMigrated(db);
    const portal = await new PortalRepository(db).get();
    if (!portal) return null;
    const endpoint = new URL(portal.clientEndpoint);
    if (!LOOPBACK.has(endpoint.hostname)) {
      throw new ConfigError(
        `demo: the database (DATABASE_URL=${databaseUrl}) holds the installed Bitrix24 portal ${portal.domain}; `
        + 'the demo would replace it. Set B24_MODE (and AMI_HOST) in .env to run against it, or point DATABASE_URL at another file for the demo.',
      );
    }
    return {
      double: {
        domain: portal.domain,
        identity: {
          memberId: portal.memberId, applicationToken: portal.applicationToken,
          accessToken: portal.accessToken, refreshToken: portal.refreshToken, expires: portal.expires,
        },
      },
      port: Number(endpoint.port) || 0,
      calls: (await new CallsRepository(db).listCalls({ limit: RECENT_CALLS })).flatMap((c) => (c.crmCallId
        ? [{ CALL_ID: c.crmCallId, USER_ID: c.userId ?? '', PHONE_NUMBER: c.number, LINE_NUMBER: c.b24Line ?? '', registeredAt: c.startedAt }]
        : [])),
    };
  } finally {
    await db.destroy();
  }
}

/** Listens on the port of last time when it is free (the stored tokens point there), else on any. */
export async function listenAsBefore(double: Bitrix24Double, port: number): Promise<Bitrix24Double> {
  if (port > 0) {
    // Taken by something else: any free port; the install then points the connector at it.
    try {
      return await double.listen(port);
    } catch {
      return double.listen(0);
    }
  }
  return double.listen(0);
}
