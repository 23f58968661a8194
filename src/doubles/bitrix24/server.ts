import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { encodeBracketForm, parseBracketForm } from '../../adapters/bitrix24/form.ts';
import { LeakyBucket } from './leaky-bucket.ts';
import { PortalState, type DoubleCrmEntity, type DoubleDepartment, type DoubleUser, type MethodAnswer } from './portal-state.ts';
import { timeBlock } from './time-block.ts';

/** How the double misbehaves: nothing, 503 for everything, connection refused, or never answering. */
export type OutageMode = 'none' | 'unavailable' | 'refuse' | 'hang';

/** A scripted fault for the next `times` calls of one method. */
export interface ScriptedFault {
  readonly method: string;
  /** `error`: answer with this error; `process-then-hang`: do the work, never answer (a timed-out success). */
  readonly kind: 'error' | 'process-then-hang';
  readonly status?: number;
  readonly error?: string;
  readonly description?: string;
  times: number;
}

export interface ReceivedCall {
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly at: number;
  readonly viaBatch: boolean;
  /** The HTTP status the double answered (sub-commands of a batch: their own outcome). */
  readonly status: number;
  /** When the portal processed it (after its latency); absent for refusals. */
  readonly processedAt?: number;
}

export interface Bitrix24DoubleOptions {
  readonly port?: number;
  /** Milliseconds; inject to scale time (rate limit, token expiry, the 30-minute dedup window). */
  readonly clock?: () => number;
  /** Portal leaky bucket; false switches it off. Default burst 50, drain 2/s. */
  readonly rateLimit?: { readonly burst: number; readonly drainPerSecond: number } | false;
  /**
   * Real milliseconds a REST request takes before it is processed and answered (a portal across
   * the internet: ~100–300 ms). A number, or a function per request (e.g. a drawn distribution).
   * Default 0. Refusals by auth and by the rate limit answer without it.
   */
  readonly latencyMs?: number | ((method: string) => number);
  /** `oauth`: body `auth` must be the current access token; `webhook`: the path must carry the secret; `none`. */
  readonly authMode?: 'oauth' | 'webhook' | 'none';
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly webhook?: { readonly userId: number; readonly secret: string };
  readonly domain?: string;
  readonly users?: readonly DoubleUser[];
  readonly departments?: readonly DoubleDepartment[];
  /** Keyed by phone digits. */
  readonly crmEntities?: Readonly<Record<string, readonly DoubleCrmEntity[]>>;
  /** Access token lifetime in seconds (default 3600). */
  readonly tokenLifetimeS?: number;
  /** The portal's identity and tokens (default: fresh random ones); the demo keeps one across restarts. */
  readonly identity?: Partial<Omit<DoublePortalIdentity, 'domain'>>;
}

/** The portal's identity and current tokens (what the install event carries). */
export interface DoublePortalIdentity {
  readonly domain: string;
  readonly memberId: string;
  readonly applicationToken: string;
  accessToken: string;
  refreshToken: string;
  /** Unix seconds. */
  expires: number;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseParams(body: string, contentType: string | undefined): Record<string, unknown> {
  if (!body) return {};
  if ((contentType ?? '').includes('json')) {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }
  return parseBracketForm(body) as Record<string, unknown>;
}

/**
 * A Bitrix24 portal over real HTTP on 127.0.0.1, spoken to by the real SDK: REST v2 (`/rest/…`),
 * `batch`, OAuth refresh (`/oauth/token/`), the leaky-bucket rate limit, outages, scripted faults,
 * a record of every call, and events posted to a handler exactly as Bitrix24 posts them.
 */
export class Bitrix24Double {
  readonly state: PortalState;
  readonly received: ReceivedCall[] = [];
  readonly faults: ScriptedFault[] = [];
  readonly portal: DoublePortalIdentity;
  readonly clock: () => number;
  private outage: OutageMode = 'none';
  private readonly bucket: LeakyBucket | null;
  private latency: number | ((method: string) => number);
  private readonly server: http.Server;
  /** Event posts reuse connections, as a queue server posting to one handler does. */
  // An idle socket is let go after 4 s, before the connector's server closes it at 5 s (Node's
  // keepAliveTimeout): a request sent on a socket the server is closing fails with ECONNRESET.
  private readonly eventAgent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 4000 });
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<http.ServerResponse>();
  private boundPort = 0;
  private clientSecret: string;
  /** Refresh tokens of this portal the OAuth server exchanged (each works once). */
  refreshCount = 0;
  private readonly oauthPeers: Bitrix24Double[] = [];

  constructor(private readonly options: Bitrix24DoubleOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.clientSecret = options.clientSecret ?? 'client-secret';
    this.state = new PortalState(this.clock);
    this.state.users = [...(options.users ?? [])];
    this.state.departments = [...(options.departments ?? [])];
    for (const [k, v] of Object.entries(options.crmEntities ?? {})) this.state.crmEntities.set(k, [...v]);
    const rl = options.rateLimit === undefined ? { burst: 50, drainPerSecond: 2 } : options.rateLimit;
    this.bucket = rl ? new LeakyBucket(rl.burst, rl.drainPerSecond, this.clock) : null;
    this.latency = options.latencyMs ?? 0;
    this.portal = {
      domain: options.domain ?? 'connector-test.bitrix24.ru',
      memberId: crypto.randomBytes(16).toString('hex'),
      applicationToken: crypto.randomBytes(16).toString('hex'),
      accessToken: crypto.randomBytes(24).toString('hex'),
      refreshToken: crypto.randomBytes(24).toString('hex'),
      expires: Math.floor(this.clock() / 1000) + (options.tokenLifetimeS ?? 3600),
      ...options.identity,
    };
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch(() => {
        if (!res.headersSent) json(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'double failed' });
      });
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(port = this.options.port ?? 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (this.server.address() as AddressInfo).port;
    return this;
  }

  get port(): number {
    return this.boundPort;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /** The client_endpoint / server_endpoint an app gets (B24OAuth then calls `/rest//method`). */
  get restUrl(): string {
    return `${this.baseUrl}/rest/`;
  }

  /** The inbound webhook URL (webhook mode). */
  get webhookUrl(): string {
    const w = this.options.webhook ?? { userId: 1, secret: 'double-secret' };
    return `${this.baseUrl}/rest/${w.userId}/${w.secret}/`;
  }

  /** Switches an outage on or off. `refuse` stops listening (ECONNREFUSED) until set back. */
  async setOutage(mode: OutageMode): Promise<void> {
    const previous = this.outage;
    this.outage = mode;
    if (mode === 'refuse' && previous !== 'refuse') {
      await new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        for (const s of this.sockets) s.destroy();
      });
    } else if (previous === 'refuse' && mode !== 'refuse') {
      await this.listen(this.boundPort);
    }
    if (mode !== 'hang') this.releaseHanging();
  }

  /** Changes the latency of the requests that arrive from now on (see `latencyMs`). */
  setLatency(latencyMs: number | ((method: string) => number)): void {
    this.latency = latencyMs;
  }

  /** Empties the rate-limit bucket (e.g. after a test filled it). */
  resetRateLimit(): void {
    this.bucket?.reset();
  }

  /** The application's secret changes (an admin regenerated it): the OAuth server refuses the old one. */
  setClientSecret(secret: string): void {
    this.clientSecret = secret;
  }

  /** Expires the current access token (the next call gets 401 expired_token). */
  expireToken(): void {
    this.portal.expires = Math.floor(this.clock() / 1000) - 1;
  }

  callsOf(method: string): ReceivedCall[] {
    const m = method.toLowerCase();
    return this.received.filter((r) => r.method.toLowerCase() === m);
  }

  /** The auth block an application's event carries. */
  appAuth(): Record<string, string> {
    return {
      access_token: this.portal.accessToken,
      expires: String(this.portal.expires),
      expires_in: '3600',
      scope: 'telephony,crm,user,department',
      domain: this.portal.domain,
      server_endpoint: this.restUrl,
      status: 'L',
      client_endpoint: this.restUrl,
      member_id: this.portal.memberId,
      user_id: '1',
      refresh_token: this.portal.refreshToken,
      application_token: this.portal.applicationToken,
    };
  }

  /** The auth block an outgoing webhook's event carries (no OAuth tokens). */
  webhookAuth(): Record<string, string> {
    return {
      domain: this.portal.domain,
      client_endpoint: this.restUrl,
      server_endpoint: this.restUrl,
      member_id: this.portal.memberId,
      application_token: this.portal.applicationToken,
    };
  }

  /**
   * POSTs an event the way Bitrix24 does: form-encoded, bracketed keys, every value a string,
   * in the order event, event_handler_id, data, ts, auth.
   */
  async postEvent(url: string, event: string, data: Record<string, unknown>, auth: Record<string, string> = this.appAuth(), handlerId = '1055'): Promise<{ status: number; body: string; elapsedMs: number }> {
    const body = encodeBracketForm({ event, event_handler_id: handlerId, data, ts: String(Math.floor(this.clock() / 1000)), auth });
    const started = performance.now();
    // node:http rather than fetch: the same bytes on the wire at a fraction of the CPU, which the
    // benchmarks share with the connector.
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(url, {
        method: 'POST', agent: this.eventAgent,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    return { status, body: text, elapsedMs: performance.now() - started };
  }

  /** Installs (or reinstalls) the app: drops every event binding, as Bitrix24 does, then posts ONAPPINSTALL. */
  async postInstall(url: string): Promise<{ status: number; body: string }> {
    this.state.bindings = [];
    const r = await this.postEvent(url, 'ONAPPINSTALL', { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' }, this.appAuth(), '0');
    return { status: r.status, body: r.body };
  }

  async close(): Promise<void> {
    this.eventAgent.destroy();
    this.releaseHanging();
    if (this.outage === 'refuse') return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.socket?.destroy();
    this.hanging.clear();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = this.clock();
    const body = await readBody(req);
    if (this.outage === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (this.outage === 'unavailable') {
      json(res, 503, { error: 'SERVICE_UNAVAILABLE', error_description: 'Service temporarily unavailable' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.replace(/\/+$/, '') === '/oauth/token') {
      this.handleOAuth(res, { ...Object.fromEntries(url.searchParams), ...(parseBracketForm(body) as Record<string, unknown>) });
      return;
    }
    const m = /^\/rest\/(?:(\d+)\/([^/]+)\/|\/)?([A-Za-z0-9_.]+?)(?:\.json)?$/.exec(url.pathname);
    if (!m) {
      json(res, 404, { error: 'NOT_FOUND', error_description: 'Unknown path' });
      return;
    }
    const method = m[3] ?? '';
    let params: Record<string, unknown>;
    try {
      params = parseParams(body, req.headers['content-type']);
    } catch {
      json(res, 400, { error: 'INVALID_REQUEST', error_description: 'Malformed request body' });
      return;
    }
    const authFailure = this.checkAuth(params, m[1], m[2]);
    if (authFailure) {
      this.received.push({ method, params: strip(params), at: started, viaBatch: false, status: authFailure.status });
      json(res, authFailure.status, { error: authFailure.error, error_description: authFailure.description });
      return;
    }
    if (this.bucket && !this.bucket.take()) {
      this.received.push({ method, params: strip(params), at: started, viaBatch: false, status: 503 });
      json(res, 503, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
      return;
    }
    const latency = typeof this.latency === 'function' ? this.latency(method) : this.latency;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const fault = this.takeFault(method);
    if (fault?.kind === 'error') {
      const status = fault.status ?? 500;
      this.received.push({ method, params: strip(params), at: started, viaBatch: false, status });
      json(res, status, { error: fault.error ?? 'INTERNAL_SERVER_ERROR', error_description: fault.description ?? 'scripted fault' });
      return;
    }
    const answer = method.toLowerCase() === 'batch' ? this.batch(params, started) : this.state.dispatch(method, params);
    this.received.push({ method, params: strip(params), at: started, viaBatch: false, status: answer.ok ? 200 : answer.status, processedAt: this.clock() });
    if (fault?.kind === 'process-then-hang') {
      this.hanging.add(res);
      return;
    }
    if (!answer.ok) {
      json(res, answer.status, { error: answer.error, error_description: answer.description });
      return;
    }
    const payload: Record<string, unknown> = { result: answer.result };
    if (answer.next !== undefined) payload.next = answer.next;
    if (answer.total !== undefined) payload.total = answer.total;
    payload.time = timeBlock(started, this.clock());
    json(res, 200, payload);
  }

  private takeFault(method: string): ScriptedFault | null {
    const i = this.faults.findIndex((f) => f.method.toLowerCase() === method.toLowerCase() && f.times > 0);
    if (i === -1) return null;
    const f = this.faults[i] as ScriptedFault;
    f.times -= 1;
    return f;
  }

  private checkAuth(params: Record<string, unknown>, hookUser: string | undefined, hookSecret: string | undefined): { status: number; error: string; description: string } | null {
    const mode = this.options.authMode ?? 'oauth';
    if (mode === 'none') return null;
    if (mode === 'webhook') {
      const w = this.options.webhook ?? { userId: 1, secret: 'double-secret' };
      if (hookUser === String(w.userId) && hookSecret === w.secret) return null;
      return { status: 401, error: 'INVALID_CREDENTIALS', description: 'Invalid request credentials' };
    }
    const token = typeof params.auth === 'string' ? params.auth : '';
    if (!token) return { status: 401, error: 'NO_AUTH_FOUND', description: 'Wrong authorization data' };
    if (token !== this.portal.accessToken) return { status: 401, error: 'invalid_token', description: 'The access token provided is invalid.' };
    if (this.portal.expires * 1000 <= this.clock()) return { status: 401, error: 'expired_token', description: 'The access token provided has expired.' };
    return null;
  }

  /**
   * Bitrix24's OAuth server (oauth.bitrix.info): a refresh token is exchanged once for a new pair;
   * the answer names the portal (member_id, client_endpoint) and carries the server's own domain.
   */
  private handleOAuth(res: http.ServerResponse, p: Record<string, unknown>): void {
    const clientId = this.options.clientId ?? 'local.connector';
    if (p.grant_type !== 'refresh_token') {
      json(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be refresh_token' });
      return;
    }
    if (p.client_id !== clientId || p.client_secret !== this.clientSecret) {
      json(res, 401, { error: 'invalid_client', error_description: 'Invalid client credentials' });
      return;
    }
    const answer = typeof p.refresh_token === 'string' ? [this, ...this.oauthPeers].map((d) => d.exchange(p.refresh_token as string)).find((a) => a !== null) : undefined;
    if (!answer) {
      json(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
      return;
    }
    json(res, 200, answer);
  }

  /**
   * This double's OAuth server also vouches for another double's portal, as Bitrix24's one OAuth
   * server does for every portal (moving the connector from one portal to another).
   */
  vouchAlsoFor(other: Bitrix24Double): void {
    this.oauthPeers.push(other);
  }

  /** Uses the refresh token up for a new pair; null when it is not this portal's current one. */
  private exchange(refreshToken: string): Record<string, unknown> | null {
    if (refreshToken !== this.portal.refreshToken) return null;
    this.refreshCount += 1;
    this.portal.accessToken = crypto.randomBytes(24).toString('hex');
    this.portal.refreshToken = crypto.randomBytes(24).toString('hex');
    this.portal.expires = Math.floor(this.clock() / 1000) + (this.options.tokenLifetimeS ?? 3600);
    return {
      access_token: this.portal.accessToken,
      expires: this.portal.expires,
      expires_in: this.options.tokenLifetimeS ?? 3600,
      scope: 'telephony,crm,user,department',
      domain: 'oauth.bitrix.info',
      server_endpoint: `${this.baseUrl}/rest/`,
      status: 'L',
      client_endpoint: this.restUrl,
      member_id: this.portal.memberId,
      user_id: 1,
      refresh_token: this.portal.refreshToken,
    };
  }

  /** `batch`: `{halt, cmd: {key: "method?query"}}`; one request for the rate limit, at most 50 commands. */
  private batch(params: Record<string, unknown>, started: number): MethodAnswer {
    const cmd = params.cmd;
    if (typeof cmd !== 'object' || cmd === null) return { ok: false, status: 400, error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', description: 'cmd is required' };
    const entries = Object.entries(cmd as Record<string, unknown>);
    if (entries.length > 50) return { ok: false, status: 400, error: 'ERROR_BATCH_LENGTH_EXCEEDED', description: 'Max batch length exceeded' };
    const halt = String(params.halt ?? '0') === '1' || params.halt === true;
    const result: Record<string, unknown> = {};
    const resultError: Record<string, unknown> = {};
    const resultTotal: Record<string, unknown> = {};
    const resultNext: Record<string, unknown> = {};
    const resultTime: Record<string, unknown> = {};
    for (const [key, raw] of entries) {
      const text = typeof raw === 'string' ? raw : '';
      const q = text.indexOf('?');
      const method = q === -1 ? text : text.slice(0, q);
      const sub = parseBracketForm(q === -1 ? '' : text.slice(q + 1)) as Record<string, unknown>;
      if (method.toLowerCase() === 'batch') {
        resultError[key] = { error: 'ERROR_BATCH_METHOD_NOT_ALLOWED', error_description: 'Method is not allowed for batch usage' };
        continue;
      }
      const answer = this.state.dispatch(method, sub);
      this.received.push({ method, params: strip(sub), at: started, viaBatch: true, status: answer.ok ? 200 : answer.status, processedAt: this.clock() });
      resultTime[key] = timeBlock(started, this.clock());
      if (answer.ok) {
        result[key] = answer.result;
        if (answer.total !== undefined) resultTotal[key] = answer.total;
        if (answer.next !== undefined) resultNext[key] = answer.next;
      } else {
        resultError[key] = { error: answer.error, error_description: answer.description };
        if (halt) break;
      }
    }
    return { ok: true, result: { result, result_error: resultError, result_total: resultTotal, result_next: resultNext, result_time: resultTime } };
  }
}

/** The recorded params without the access token. */
function strip(params: Record<string, unknown>): Record<string, unknown> {
  const { auth: _auth, ...rest } = params;
  return rest;
}

/** Starts a double on 127.0.0.1 (port 0 = any free port). */
export async function startBitrix24Double(options: Bitrix24DoubleOptions = {}): Promise<Bitrix24Double> {
  return new Bitrix24Double(options).listen();
}
