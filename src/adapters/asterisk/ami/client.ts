import { EventEmitter } from 'node:events';
import Manager from 'asterisk-manager';
import type { AmiRawMessage } from 'asterisk-manager';
import { silentLogger, type Logger } from '../../logging/logger.ts';
import { AmiActionError, AmiConnectionError, AmiDisconnectedError, AmiError, AmiLoginError, AmiRequestError, AmiTimeoutError } from './errors.ts';
import { field, normalizeAmiMessage, type AmiEvent } from './normalize.ts';
import { actionName, prepareFields } from './action-fields.ts';
import { originateFields, type OriginateRequest } from './originate-request.ts';

export type { AmiEvent } from './normalize.ts';
export type { OriginateRequest } from './originate-request.ts';

type ManagerInstance = InstanceType<typeof Manager>;

export interface AmiClientOptions {
  host: string;
  port: number;
  username: string;
  secret: string;
  /** Default time an action may wait for its response (ms). */
  actionTimeoutMs?: number;
  /** First reconnect delay after a drop or failed login; doubles up to `reconnectMaxMs`. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Sends a Ping this often while connected; a Ping without answer drops and reconnects. 0 = off. */
  keepaliveMs?: number;
  /**
   * How many ChannelIds are remembered to refuse reuse (DECISIONS §24). The ids are random and a
   * click is stored before its Originate, so this guards against a slip in this process only:
   * 10,000 (about 2 minutes of clicks at 77/s) keeps it near 1 MB instead of growing for 20 minutes.
   */
  rememberChannelIds?: number;
  logger?: Logger;
}

/** Outcome of an Async Originate, from Asterisk's `OriginateResponse` event. */
export interface OriginateResponse {
  actionId: string | undefined;
  response: 'Success' | 'Failure';
  reason: string;
  channel: string;
  uniqueid: string;
  event: AmiEvent;
}

interface Pending {
  readonly action: string;
  readonly resolve: (ev: AmiEvent) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface AmiClientEvents {
  event: [AmiEvent];
  'originate-response': [OriginateResponse];
  connected: [];
  disconnected: [string];
  'login-failed': [AmiLoginError];
  reconnecting: [number];
}

/**
 * The connector's AMI client. It uses the `asterisk-manager` package for the socket, the wire
 * parsing and action writing, and adds what the package lacks: a timeout on every action, rejection
 * of pending actions on disconnect, supervised reconnects with backoff, a clear login failure,
 * case-insensitive string-only messages, and the real outcome of an Async Originate.
 */
export class AmiClient extends EventEmitter<AmiClientEvents> {
  private manager: ManagerInstance | undefined;
  private loggedIn = false;
  private everLoggedIn = false;
  private stopped = true;
  private reconnectCount = 0;
  private backoff: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly usedChannelIds = new Set<string>();
  private seq = 0;
  private readonly idPrefix = `c${process.pid.toString(36)}${Date.now().toString(36)}`;
  private readonly log: Logger;
  private readonly actionTimeoutMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private firstStart: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly opts: AmiClientOptions) {
    super();
    this.log = (opts.logger ?? silentLogger).child({ component: 'ami', host: opts.host, port: opts.port });
    this.actionTimeoutMs = opts.actionTimeoutMs ?? 10_000;
    this.reconnectMinMs = opts.reconnectMinMs ?? 1_000;
    this.reconnectMaxMs = Math.max(opts.reconnectMaxMs ?? 60_000, this.reconnectMinMs);
    this.backoff = this.reconnectMinMs;
  }

  get connected(): boolean {
    return this.loggedIn;
  }

  /** Successful logins after the first one. */
  get reconnects(): number {
    return this.reconnectCount;
  }

  /**
   * Connects and logs in. Resolves on the first successful login; rejects on the first failure
   * (AmiLoginError or AmiConnectionError) while the client keeps retrying in the background with
   * backoff until `stop()`.
   */
  start(): Promise<void> {
    if (!this.stopped) return Promise.reject(new AmiError('AMI client already started'));
    this.stopped = false;
    return new Promise<void>((resolve, reject) => {
      this.firstStart = { resolve, reject };
      this.connect();
    });
  }

  /** Logs off (best effort), closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.firstStart?.reject(new AmiConnectionError('AMI client stopped before it could log in'));
    this.firstStart = undefined;
    if (this.loggedIn) await this.action({ Action: 'Logoff' }, Math.min(this.actionTimeoutMs, 2_000)).catch(() => undefined);
    this.teardown('client stopped');
  }

  /**
   * Sends an action and resolves with its Response (`response: Success`, or `Goodbye`/`Follows`).
   * Rejects with AmiActionError on `Response: Error`, AmiTimeoutError, or AmiDisconnectedError.
   */
  action(fields: Record<string, string | string[] | Record<string, string>>, timeoutMs: number = this.actionTimeoutMs): Promise<AmiEvent> {
    const name = actionName(fields);
    let prepared: Record<string, string | Record<string, string>>;
    try {
      prepared = prepareFields(fields, name);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const manager = this.manager;
    if (!manager || !this.loggedIn) return Promise.reject(new AmiDisconnectedError(name, 'not connected to the AMI'));
    const id = `${this.idPrefix}-${++this.seq}`;
    return new Promise<AmiEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        manager.removeAllListeners(id);
        this.log.warn({ action: name, actionId: id, timeoutMs }, 'AMI action timed out');
        reject(new AmiTimeoutError(name, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { action: name, resolve, reject, timer });
      manager.action({ ...prepared, actionid: id }, (_err, res) => {
        const p = this.pending.get(id);
        if (!p) return;
        this.pending.delete(id);
        clearTimeout(p.timer);
        const ev = normalizeAmiMessage(res);
        if ((field(ev, 'response') ?? '').toLowerCase() === 'error') p.reject(new AmiActionError(name, field(ev, 'message') ?? '(no message)'));
        else p.resolve(ev);
      });
    });
  }

  /**
   * Async Originate: resolves with the ActionID once Asterisk has queued it. The outcome (the
   * manager's own phone answered or not) arrives later as an 'originate-response' event.
   */
  async originate(req: OriginateRequest): Promise<{ actionId: string }> {
    const fields = originateFields(req);
    if (req.channelId !== undefined) {
      if (this.usedChannelIds.has(req.channelId)) throw new AmiRequestError(`Originate ChannelId "${req.channelId}" was already used`, 'Originate');
      this.rememberChannelId(req.channelId);
    }
    const res = await this.action(fields);
    return { actionId: field(res, 'actionid') ?? '' };
  }

  async ping(): Promise<void> {
    await this.action({ Action: 'Ping' });
  }

  private rememberChannelId(id: string): void {
    this.usedChannelIds.add(id);
    const limit = this.opts.rememberChannelIds ?? 10_000;
    if (this.usedChannelIds.size > limit) {
      const oldest = this.usedChannelIds.values().next().value;
      if (oldest !== undefined) this.usedChannelIds.delete(oldest);
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const manager = new Manager(undefined, this.opts.host, this.opts.username, this.opts.secret, true);
    this.manager = manager;
    let loginAnswered = false;
    let socketUp = false;
    manager.on('managerevent', (raw: AmiRawMessage) => this.onEvent(raw));
    manager.on('asterisk', (raw: AmiRawMessage) => {
      // asterisk-manager also emits every Response here (they carry no Event): those are handled
      // through their ActionID already.
      if (raw.response !== undefined) return;
      // Neither an Event nor a Response: not AMI. Log a sample (never the whole buffer).
      this.log.warn({ keys: Object.keys(raw).slice(0, 5).map((k) => k.slice(0, 40)) }, 'AMI server sent a message that is neither an event nor a response; ignored');
    });
    manager.on('error', (err: Error) => this.log.debug({ err: err.message }, 'AMI socket error'));
    manager.on('close', () => {
      if (this.manager !== manager) return;
      if (!loginAnswered) {
        const what = socketUp ? 'the AMI closed the connection before the login was answered' : 'cannot connect to the AMI';
        this.failAttempt(new AmiConnectionError(`${what} at ${this.opts.host}:${this.opts.port}`));
      }
      else this.onDrop('connection closed by the AMI server');
    });
    manager.connect(this.opts.port, this.opts.host, () => {
      socketUp = true;
      this.log.debug('AMI socket connected, logging in');
      manager.login((err) => {
        loginAnswered = true;
        if (this.manager !== manager) return;
        if (err) {
          const message = typeof err.message === 'string' ? err.message : 'rejected';
          const failure = new AmiLoginError(`AMI login as "${this.opts.username}" failed: ${message}`, 'Login');
          this.emit('login-failed', failure);
          this.log.error({ username: this.opts.username, reason: message }, 'AMI login failed');
          this.failAttempt(failure);
          return;
        }
        this.onLoggedIn();
      });
    });
  }

  private onLoggedIn(): void {
    this.loggedIn = true;
    this.backoff = this.reconnectMinMs;
    if (this.everLoggedIn) this.reconnectCount++;
    this.everLoggedIn = true;
    this.log.info({ reconnects: this.reconnectCount }, 'AMI connected and logged in');
    this.firstStart?.resolve();
    this.firstStart = undefined;
    this.scheduleKeepalive();
    this.emit('connected');
  }

  private onEvent(raw: AmiRawMessage): void {
    const ev = normalizeAmiMessage(raw);
    this.emit('event', ev);
    if ((field(ev, 'event') ?? '').toLowerCase() === 'originateresponse') {
      const response = field(ev, 'response') === 'Success' ? 'Success' : 'Failure';
      this.emit('originate-response', {
        actionId: field(ev, 'actionid'),
        response,
        reason: field(ev, 'reason') ?? '',
        channel: field(ev, 'channel') ?? '',
        uniqueid: field(ev, 'uniqueid') ?? '',
        event: ev,
      });
    }
  }

  private scheduleKeepalive(): void {
    const every = this.opts.keepaliveMs ?? 0;
    if (every <= 0) return;
    clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = setTimeout(() => {
      if (!this.loggedIn) return;
      this.ping().then(
        () => this.scheduleKeepalive(),
        (err: Error) => {
          if (err instanceof AmiTimeoutError) this.onDrop('keepalive Ping got no answer');
        },
      );
    }, every);
  }

  /** A connection attempt (connect or login) failed: report it once to start(), then retry later. */
  private failAttempt(err: AmiError): void {
    this.teardown(err.message);
    this.firstStart?.reject(err);
    this.firstStart = undefined;
    this.scheduleReconnect();
  }

  private onDrop(reason: string): void {
    const was = this.loggedIn;
    this.teardown(reason);
    if (was) {
      this.log.warn({ reason }, 'AMI connection lost');
      this.emit('disconnected', reason);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.reconnectMaxMs);
    this.log.info({ delayMs: delay }, 'AMI reconnecting');
    this.emit('reconnecting', delay);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** Closes the current connection and rejects everything still waiting on it. */
  private teardown(reason: string): void {
    const manager = this.manager;
    this.manager = undefined;
    const wasLoggedIn = this.loggedIn;
    this.loggedIn = false;
    clearTimeout(this.keepaliveTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new AmiDisconnectedError(p.action, reason));
      manager?.removeAllListeners(id);
    }
    this.pending.clear();
    if (manager) {
      manager.disconnect();
      manager.removeAllListeners();
      manager.on('error', () => undefined);
    }
    if (wasLoggedIn && this.stopped) this.emit('disconnected', reason);
  }
}
