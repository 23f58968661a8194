import type net from 'node:net';
import { AmiParser, amiGet, amiGetAll, encodeAmiMessage, type AmiField, type AmiMessage } from '../../adapters/asterisk/ami/codec.ts';
import type { Logger } from '../../adapters/logging/logger.ts';
import { ALL_READ_CLASSES, type EmittedEvent } from './event-bus.ts';

export interface AmiUser {
  readonly username: string;
  readonly secret: string;
  /** manager.conf `read=` classes; default: all of them (the lab user's set and more). */
  readonly read?: readonly string[];
  /** manager.conf `write=` classes; default: all. Originate needs `originate`, Command `command`. */
  readonly write?: readonly string[];
}

export interface SessionHost {
  readonly users: readonly AmiUser[];
  readonly logger: Logger;
  readonly loginFailureDelay: () => Promise<void>;
  handleAction(session: AmiSession, action: string, msg: AmiMessage): Promise<void>;
  sessionClosed(session: AmiSession): void;
}

/** Actions Asterisk accepts before authentication. */
const UNAUTHENTICATED_OK = new Set(['login', 'logoff', 'challenge']);

/**
 * One AMI connection to the double. Actions are handled one after another, as Asterisk does on a
 * session; events flow to it in between once the user logged in, filtered by the user's read
 * classes and the Login's `Events:` header.
 */
export class AmiSession {
  user: AmiUser | undefined;
  private eventClasses = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly parser: AmiParser;
  closed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly host: SessionHost,
  ) {
    this.parser = new AmiParser({
      onProblem: (p) => host.logger.warn({ problem: p.kind, detail: p.detail }, 'PBX double: malformed AMI input from a client'),
    });
    socket.on('data', (chunk: Buffer) => {
      for (const msg of this.parser.push(chunk)) this.queue = this.queue.then(() => this.dispatch(msg)).catch((err: unknown) => this.onError(err));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      host.sessionClosed(this);
    });
    socket.write('Asterisk Call Manager/11.0.0\r\n');
  }

  private onError(err: unknown): void {
    this.host.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'PBX double: action failed');
  }

  send(fields: readonly AmiField[]): void {
    if (!this.closed && this.socket.writable) this.socket.write(encodeAmiMessage(fields));
  }

  /** `Response: …` echoing the request's ActionID verbatim (only when the client sent one). */
  respond(msg: AmiMessage, response: 'Success' | 'Error' | 'Goodbye', rest: readonly AmiField[]): void {
    const id = amiGet(msg, 'ActionID');
    this.send([['Response', response], ...(id !== undefined ? ([['ActionID', id]] as AmiField[]) : []), ...rest]);
  }

  error(msg: AmiMessage, message: string): void {
    this.respond(msg, 'Error', [['Message', message]]);
  }

  canWrite(cls: string): boolean {
    return this.user !== undefined && (this.user.write ?? ['all']).some((c) => c === cls || c === 'all');
  }

  /** Whether events of this class go to this session. */
  reads(eventClass: string): boolean {
    return this.user !== undefined && this.eventClasses.has(eventClass);
  }

  deliver(ev: EmittedEvent): void {
    if (this.user === undefined || !this.eventClasses.has(ev.eventClass)) return;
    this.send(ev.fields);
  }

  /** `on`, `off` or a class list, limited to what the user may read (Login's `Events:`, action Events). */
  setEventMask(mask: string): boolean {
    const read = new Set(this.user?.read ?? ALL_READ_CLASSES);
    const m = mask.trim().toLowerCase();
    if (['off', 'no', 'false', '0'].includes(m)) this.eventClasses = new Set();
    else if (['on', 'yes', 'true', '1', ''].includes(m)) this.eventClasses = read;
    else this.eventClasses = new Set(m.split(',').map((c) => c.trim()).filter((c) => read.has(c)));
    return this.eventClasses.size > 0;
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  private async dispatch(msg: AmiMessage): Promise<void> {
    if (this.closed) return;
    const action = amiGet(msg, 'Action');
    if (action === undefined || action.trim() === '') {
      this.error(msg, 'Missing action in request');
      return;
    }
    const name = action.trim().toLowerCase();
    if (this.user === undefined && !UNAUTHENTICATED_OK.has(name)) {
      this.error(msg, 'Permission denied');
      return;
    }
    if (name === 'login') return this.login(msg);
    if (name === 'logoff') {
      this.respond(msg, 'Goodbye', [['Message', 'Thanks for all the fish.']]);
      this.close();
      return;
    }
    await this.host.handleAction(this, action.trim(), msg);
  }

  private async login(msg: AmiMessage): Promise<void> {
    if (this.user !== undefined) {
      this.respond(msg, 'Success', [['Message', 'Already authenticated']]);
      return;
    }
    const username = amiGet(msg, 'Username') ?? '';
    const secret = amiGet(msg, 'Secret') ?? '';
    const user = this.host.users.find((u) => u.username === username && u.secret === secret);
    if (!user) {
      this.host.logger.info({ username }, 'PBX double: AMI authentication failed');
      await this.host.loginFailureDelay();
      this.error(msg, 'Authentication failed');
      this.close();
      return;
    }
    this.user = user;
    this.setEventMask(amiGetAll(msg, 'Events')[0] ?? 'on');
    this.respond(msg, 'Success', [['Message', 'Authentication accepted']]);
    if (this.eventClasses.has('system')) {
      this.send([['Event', 'FullyBooted'], ['Privilege', 'system,all'], ['Uptime', '17'], ['LastReload', '17'], ['Status', 'Fully Booted']]);
    }
  }
}
