import net from 'node:net';
import type { Logger } from '../../logging/logger.ts';
import type { RouteService } from '../../../app/calls/route-service.ts';
import { AgiConnection } from './connection.ts';
import { parsePeerAllowlist, refusalLogLimiter, type PeerAllowlist } from './peer-allowlist.ts';
import type { InboundStepPort } from './inbound-session.ts';
import { runRouteSession } from './route-session.ts';

export interface FastAgiServerOptions {
  readonly host: string;
  /** 0 = any free port (tests). */
  readonly port: number;
  readonly service: RouteService;
  /** Serves the `inbound` script (inbound scenarios) too. */
  readonly inbound?: InboundStepPort;
  readonly logger: Logger;
  /** Per-command reply timeout (GET VARIABLE, SET VARIABLE). */
  readonly commandTimeoutMs?: number;
  /** Time allowed for the environment block after connect. */
  readonly envTimeoutMs?: number;
  /** Peers allowed to connect besides loopback (DECISIONS §30); default: loopback only. */
  readonly allow?: PeerAllowlist;
  /** When set, a request must carry it in its AGI URL (`/route?secret=…`). */
  readonly secret?: string | null;
  /** Time allowed for the route decision; past it the dialplan is told to fail open. */
  readonly routeDeadlineMs?: number;
  /** Time in ms (injected: refusals are logged at most once a minute per address). */
  readonly now?: () => number;
  /** Called when a session ends, with its duration from accept to close (metrics). */
  readonly onSessionEnd?: (ms: number) => void;
}

export interface FastAgiServer {
  readonly port: number;
  readonly host: string;
  /** Stops listening and drops open sessions. */
  close(): Promise<void>;
}

/** The FastAGI routing server (default port 4573): one route request per connection. */
export async function startFastAgiServer(options: FastAgiServerOptions): Promise<FastAgiServer> {
  const sockets = new Set<net.Socket>();
  const allow = options.allow ?? parsePeerAllowlist(undefined);
  const now = options.now ?? Date.now;
  const worthLogging = refusalLogLimiter();
  const refused = (address: string, why: string): void => {
    if (worthLogging(address, now())) options.logger.warn({ peer: address }, `fastagi: refused a connection: ${why} (logged once a minute per address)`);
  };
  const server = net.createServer((socket) => {
    const address = socket.remoteAddress ?? '';
    if (!allow.allows(address)) {
      socket.destroy();
      refused(address, 'the peer is not in AGI_ALLOW');
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    const accepted = performance.now();
    if (options.onSessionEnd) socket.on('close', () => options.onSessionEnd?.(performance.now() - accepted));
    const conn = new AgiConnection(socket, { commandTimeoutMs: options.commandTimeoutMs ?? 3000 });
    const session = {
      service: options.service, logger: options.logger, envTimeoutMs: options.envTimeoutMs ?? 5000,
      secret: options.secret ?? null, routeDeadlineMs: options.routeDeadlineMs ?? 1500, onBadSecret: () => refused(address, 'wrong or missing secret in the AGI URL'),
      ...(options.inbound ? { inbound: options.inbound } : {}),
    };
    runRouteSession(conn, session, peer)
      .catch((err: unknown) => {
        options.logger.error({ peer, err }, 'fastagi: session crashed');
        socket.destroy();
      });
  });
  server.maxConnections = 10_000;
  server.on('error', (err) => options.logger.error({ err }, 'fastagi: server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;
  options.logger.info({ host: address.address, port: address.port }, 'fastagi: listening');
  return {
    port: address.port,
    host: address.address,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
