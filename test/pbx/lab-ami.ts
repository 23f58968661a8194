import net from 'node:net';
import { AmiParser, encodeAmiMessage, type AmiMessage } from '../../src/adapters/asterisk/ami/codec.ts';

export type LabEvent = Readonly<Record<string, string>>;

/** Resolves with the first item `check` accepts, now or later; rejects naming `what` after `timeoutMs`. */
export type Waiter<T> = (what: string, check: (item: T) => boolean, timeoutMs?: number) => Promise<T>;

/**
 * The test's own AMI connection (user `lab`, every class): it sees all events with Asterisk's
 * timestamps, keeps them in order, and runs actions. Events are waited for, never slept on.
 */
export class LabAmi {
  readonly events: LabEvent[] = [];
  private readonly listeners = new Set<(ev: LabEvent) => void>();
  private readonly pending = new Map<string, { resolve: (r: LabEvent[]) => void; reject: (err: Error) => void; list: LabEvent[]; listEnd?: string }>();
  private seq = 0;
  private socket!: net.Socket;
  /** Resolves when the current session's socket closes (Asterisk stopped, killed, or close()). */
  closed: Promise<void> = Promise.resolve();

  private constructor(private readonly port: number, private readonly username: string, private readonly secret: string) {}

  static async connect(port: number, secret: string, username = 'lab'): Promise<LabAmi> {
    const ami = new LabAmi(port, username, secret);
    await ami.open(port, username, secret);
    return ami;
  }

  /** Logs in again after Asterisk was restarted; the events seen so far are kept. */
  async reopen(): Promise<void> {
    this.socket.destroy();
    await this.open(this.port, this.username, this.secret);
  }

  private async open(port: number, username: string, secret: string): Promise<void> {
    const parser = new AmiParser({ expectBanner: true });
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      for (const msg of parser.push(chunk)) this.take(record(msg));
    });
    this.socket.on('error', () => undefined);
    // A dropped session must fail what waits on it, not leave it waiting for ever.
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('close', () => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new Error('the lab AMI connection closed before the action was answered'));
      }
    });
    await new Promise<void>((resolve, reject) => { this.socket.once('connect', resolve); this.socket.once('error', reject); });
    const [login] = await this.action({ Action: 'Login', Username: username, Secret: secret });
    if (login?.Response !== 'Success') throw new Error(`AMI login of ${username} failed: ${JSON.stringify(login)}`);
  }

  private take(msg: LabEvent): void {
    const id = msg.ActionID;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p) {
      p.list.push(msg);
      if (msg.Response === 'Error' || (msg.Response !== undefined && p.listEnd === undefined) || (p.listEnd !== undefined && msg.Event === p.listEnd)) {
        this.pending.delete(id!);
        p.resolve(p.list);
      }
      return;
    }
    if (msg.Event === undefined) return;
    this.events.push(msg);
    for (const l of this.listeners) l(msg);
  }

  /**
   * Sends an action; resolves with its response, and for a list action (`listEnd` = the event
   * that closes it, e.g. CoreShowChannelsComplete) with every event of the list too.
   */
  action(fields: Record<string, string>, listEnd?: string): Promise<LabEvent[]> {
    const id = `lab-${++this.seq}`;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) { reject(new Error('the lab AMI connection is closed')); return; }
      this.pending.set(id, { resolve, reject, list: [], ...(listEnd ? { listEnd } : {}) });
      this.socket.write(encodeAmiMessage([...Object.entries(fields), ['ActionID', id]]));
    });
  }

  /** The first event (already seen or still to come) that `check` accepts. */
  readonly waitEvent: Waiter<LabEvent> = (what, check, timeoutMs = 15_000) => {
    const seen = this.events.find(check);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.listeners.delete(l); reject(new Error(`timed out waiting for AMI event: ${what}`)); }, timeoutMs);
      const l = (ev: LabEvent): void => {
        if (!check(ev)) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve(ev);
      };
      this.listeners.add(l);
    });
  };

  /** Calls `listener` with every event from now on (benchmarks, which also empty `events` as they go). */
  onEvent(listener: (ev: LabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every channel Asterisk still has (CoreShowChannels). */
  async channels(): Promise<LabEvent[]> {
    const list = await this.action({ Action: 'CoreShowChannels' }, 'CoreShowChannelsComplete');
    return list.filter((e) => e.Event === 'CoreShowChannel');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A message's fields as Asterisk spells them (first value of a repeated key wins). */
function record(msg: AmiMessage): LabEvent {
  const out: Record<string, string> = {};
  for (const [k, v] of msg.fields) out[k] ??= v;
  return out;
}
