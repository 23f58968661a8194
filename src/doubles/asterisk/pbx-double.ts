import net from 'node:net';
import { amiGet, type AmiField, type AmiMessage } from '../../adapters/asterisk/ami/codec.ts';
import { silentLogger, type Logger } from '../../adapters/logging/logger.ts';
import { answerCommand, answerCoreShowChannels, isTrue, parseOriginate } from './ami-actions.ts';
import { AmiSession, type AmiUser, type SessionHost } from './ami-session.ts';
import type { Channel } from './channel.ts';
import { CancelledError, DoubleClock } from './clock.ts';
import { PbxEngine } from './engine.ts';
import { EventBus, type EmittedEvent } from './event-bus.ts';
import type { FastAgiTarget } from './fastagi-caller.ts';
import { phoneExtension, playDeskCall, playOriginate } from './originate.ts';
import { DIALER_CUSTOMER_CONTEXT, playDialerOriginate } from './dialer-dialplan.ts';
import { ANSWER_AT_ONCE, TrunkPlayer, type PhoneScript, type TrunkScript } from './scripts.ts';

export interface PbxDoubleOptions {
  /** Address the AMI server listens on (default 127.0.0.1). */
  readonly host?: string;
  /** AMI port; 0 (default) picks a free one, read it back from `amiPort`. */
  readonly amiPort?: number;
  readonly users: readonly AmiUser[];
  /** Where the dialplan's AGI(agi://host:port/route,…) connects: the connector's FastAGI server. */
  readonly fastAgi: FastAgiTarget;
  /** How trunks answer each Dial. */
  readonly trunks: TrunkScript;
  /** Managers' phones by extension; unlisted phones behave as `defaultPhone` (default: answer at once). */
  readonly phones?: Readonly<Record<string, PhoneScript>>;
  readonly defaultPhone?: PhoneScript;
  /** `Getvar DEVICE_STATE(dev)` answers (the dialer's operators); default NOT_INUSE. */
  readonly deviceStates?: (device: string) => string;
  /** The dialplan's fail-open Dial when AGISTATUS ≠ SUCCESS; `{exten}` is the number (default `Local/{exten}@failopen`, 30 s). */
  readonly failOpen?: { readonly dial: string; readonly timeoutS?: number };
  /** Multiplies every wait (ring, talk, timeouts, login-failure delay): 1 real time, 0 as fast as possible. */
  readonly timeScale?: number;
  /** Events kept in `events` (default 100 000); 0 keeps none, and events nobody reads are not built (benchmarks). */
  readonly historyLimit?: number;
  /** Telephony ms Asterisk waits before answering a failed Login (default 1000, scaled). */
  readonly loginFailureDelayMs?: number;
  /** Technology of desk phones for `placeDeskCall` (default PJSIP). */
  readonly deskPhoneTech?: string;
  /** Where MixMonitor writes (only the file name in MIXMONITOR_FILENAME matters). */
  readonly monitorDir?: string;
  readonly asteriskVersion?: string;
  /**
   * The `connector-outbound` context played: `connector` (default) is the product's
   * asterisk/extensions_connector.conf — route variables cleared before each request, ROUTE_RECORD
   * honoured (no MixMonitor for excluded numbers), `UserEvent(ConnectorRecording)`, `failopen`
   * answers, emergency/short/internal numbers sent on before the AGI step; `lab` is the lab's
   * extensions.conf.used, which the captures were recorded with (replay tests compare against them).
   */
  readonly dialplan?: 'connector' | 'lab';
  /** Real ms after which a FastAGI session the server never closes is abandoned (default 30000). */
  readonly agiGiveUpMs?: number;
  /** CONNECTOR_ROUTE_DEADLINE of the shipped dialplan, in real ms (default 3000, as shipped). */
  readonly routeDeadlineMs?: number;
  readonly now?: () => number;
  readonly logger?: Logger;
}

export interface DeskCall {
  readonly channel: string;
  readonly uniqueid: string;
  /** Settles when every channel of the call has hung up. */
  readonly finished: Promise<void>;
}

export interface PbxDouble {
  readonly amiPort: number;
  readonly host: string;
  /** Every event produced so far (what a user with all read classes would have received). */
  readonly events: readonly EmittedEvent[];
  /** Called for every event as it is produced. */
  onEvent(listener: (ev: EmittedEvent) => void): () => void;
  placeDeskCall(extension: string, number: string): DeskCall;
  /** Cuts every AMI connection at once (the client sees the socket close), as a PBX restart would. */
  dropAllAmiConnections(): void;
  /** Number of open AMI connections. */
  readonly amiConnections: number;
  /** Resolves once no call is in progress. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the in-process PBX double: an AMI server speaking Asterisk 22's wire format whose
 * Originates and desk-phone calls run the connector's dialplan against the real FastAGI server.
 */
export async function startPbxDouble(opts: PbxDoubleOptions): Promise<PbxDouble> {
  const logger = opts.logger ?? silentLogger;
  const clock = new DoubleClock(opts.timeScale ?? 1, opts.now);
  const bus = new EventBus();
  bus.historyLimit = opts.historyLimit ?? bus.historyLimit;
  const engine = new PbxEngine(bus, clock, new TrunkPlayer(opts.trunks), {
    fastAgi: opts.fastAgi,
    monitorDir: opts.monitorDir ?? '/var/spool/asterisk/monitor',
    agiGiveUpMs: opts.agiGiveUpMs ?? 30_000,
    routeDeadlineMs: opts.routeDeadlineMs ?? 3_000,
    failOpen: { dial: opts.failOpen?.dial ?? 'Local/{exten}@failopen', timeoutS: opts.failOpen?.timeoutS ?? 30 },
    asteriskVersion: opts.asteriskVersion ?? '22.10.1',
    dialplan: opts.dialplan ?? 'connector',
  }, logger);
  const sessions = new Set<AmiSession>();
  const calls = new Set<Promise<void>>();
  const version = opts.asteriskVersion ?? '22.10.1';

  bus.on('event', (ev) => {
    for (const s of sessions) s.deliver(ev);
  });
  bus.sessionsRead = (eventClass) => [...sessions].some((s) => s.reads(eventClass));

  const track = (p: Promise<void>): Promise<void> => {
    const tracked = p.catch((err: unknown) => {
      if (!(err instanceof CancelledError)) logger.error({ err: err instanceof Error ? err.message : String(err) }, 'PBX double: call flow failed');
    });
    calls.add(tracked);
    void tracked.finally(() => calls.delete(tracked));
    return tracked;
  };

  const host: SessionHost = {
    users: opts.users,
    logger,
    loginFailureDelay: () => clock.sleep(opts.loginFailureDelayMs ?? 1000).catch(() => undefined),
    sessionClosed: (s) => sessions.delete(s),
    async handleAction(session, action, msg) {
      switch (action.toLowerCase()) {
        case 'ping':
          session.respond(msg, 'Success', [['Ping', 'Pong'], ['Timestamp', (clock.now() / 1000).toFixed(6)]]);
          return;
        case 'command':
          if (!session.canWrite('command')) return session.error(msg, 'Permission denied');
          answerCommand(session, msg, version, engine.channels.values());
          return;
        case 'coreshowchannels':
          // Registered by Asterisk with EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING: either write class.
          if (!session.canWrite('system') && !session.canWrite('reporting')) return session.error(msg, 'Permission denied');
          answerCoreShowChannels(session, msg, engine.channels.values());
          return;
        case 'originate':
          return originate(session, msg);
        case 'getvar': {
          // Only DEVICE_STATE(dev) is known (the dialer asks it for its operators); anything else is empty.
          const variable = amiGet(msg, 'Variable') ?? '';
          const device = /^DEVICE_STATE\((.+)\)$/i.exec(variable)?.[1];
          session.respond(msg, 'Success', [['Variable', variable], ['Value', device !== undefined ? (opts.deviceStates?.(device) ?? 'NOT_INUSE') : '']]);
          return;
        }
        case 'events': {
          const on = session.setEventMask(amiGet(msg, 'EventMask') ?? 'on');
          session.respond(msg, 'Success', [['Events', on ? 'On' : 'Off']]);
          return;
        }
        default:
          session.error(msg, `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`);
      }
    },
  };

  async function originate(session: AmiSession, msg: AmiMessage): Promise<void> {
    if (!session.canWrite('originate')) return session.error(msg, 'Permission denied');
    const p = parseOriginate(msg);
    if (typeof p === 'string') return session.error(msg, p);
    const actionId = amiGet(msg, 'ActionID');
    const phone = opts.phones?.[phoneExtension(p.channel)] ?? opts.defaultPhone ?? ANSWER_AT_ONCE;
    if (p.channel.toLowerCase().endsWith(`@${DIALER_CUSTOMER_CONTEXT}`) && p.channel.startsWith('Local/') && isTrue(amiGet(msg, 'Async'))) {
      session.respond(msg, 'Success', [['Message', 'Originate successfully queued']]);
      const deps = {
        deviceState: (device: string) => opts.deviceStates?.(device) ?? 'NOT_INUSE',
        operatorPhone: (dial: string) => opts.phones?.[phoneExtension(dial)] ?? opts.defaultPhone ?? ANSWER_AT_ONCE,
      };
      void track(playDialerOriginate(engine, p, deps, (_o, body: AmiField[]) => bus.emitEvent('OriginateResponse', 'call', body, actionId)));
      return;
    }
    if (isTrue(amiGet(msg, 'Async'))) {
      session.respond(msg, 'Success', [['Message', 'Originate successfully queued']]);
      // OriginateResponse is an ordinary `call` event carrying the ActionID: every session reading
      // `call` sees it (several connector instances must match on their own ActionIDs).
      void track(playOriginate(engine, p, phone, (_o, body: AmiField[]) => bus.emitEvent('OriginateResponse', 'call', body, actionId)));
      return;
    }
    // A synchronous Originate blocks this session until the manager's leg is decided.
    await new Promise<void>((decided) => {
      void track(
        playOriginate(engine, p, phone, (o) => {
          if (o.response === 'Success') session.respond(msg, 'Success', [['Message', 'Originate successfully queued']]);
          else session.error(msg, 'Originate failed');
          decided();
        }).finally(decided),
      );
    });
  }

  const server = net.createServer((socket) => {
    sessions.add(new AmiSession(socket, host));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.amiPort ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const amiPort = typeof address === 'object' && address ? address.port : 0;
  logger.info({ amiPort }, 'PBX double: AMI listening');

  return {
    amiPort,
    host: opts.host ?? '127.0.0.1',
    get events() {
      return bus.history;
    },
    onEvent(listener) {
      bus.on('event', listener);
      return () => bus.off('event', listener);
    },
    placeDeskCall(extension, number) {
      let ch: Channel | undefined;
      const finished = track(playDeskCall(engine, extension, number, opts.deskPhoneTech ?? 'PJSIP', (c) => (ch = c)));
      if (!ch) throw new Error('desk call did not start');
      const started: Channel = ch;
      return { channel: started.name, uniqueid: started.uniqueid, finished };
    },
    dropAllAmiConnections() {
      for (const s of sessions) s.socket.destroy();
      sessions.clear();
    },
    get amiConnections() {
      return sessions.size;
    },
    async idle() {
      while (calls.size > 0) await Promise.all([...calls]);
    },
    async close() {
      clock.close();
      for (const s of sessions) s.socket.destroy();
      sessions.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...calls]);
    },
  };
}
