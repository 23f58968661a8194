import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { parseAgiEnvironment, printable, ReplyReader, type AgiReply, type EnvironmentResult } from './protocol.ts';

/** Why a command got no reply. */
export class AgiCommandError extends Error {
  constructor(readonly kind: 'timeout' | 'closed' | 'garbage', message: string) {
    super(message);
  }
}

export interface AgiConnectionOptions {
  /** How long Asterisk may take to answer one command. */
  readonly commandTimeoutMs: number;
  /** A line longer than this is not AGI. */
  readonly maxLineBytes?: number;
  /** An environment block longer than this is not AGI. */
  readonly maxEnvLines?: number;
}

interface Pending {
  readonly resolve: (reply: AgiReply) => void;
  readonly reject: (err: AgiCommandError) => void;
  /** Set once the command is on the wire (its reply timeout runs from then). */
  timer: NodeJS.Timeout | null;
  readonly command: string;
}

/**
 * One FastAGI socket: reads the environment block, then runs commands strictly one at a time —
 * the next command is written only after the previous one's reply — each with its own timeout.
 * Never pipelined: res_agi reads commands with fgets() on a stdio stream but waits for them with
 * poll() on the raw socket, so a second command that arrives in the same read() stays in the stdio
 * buffer unseen until more bytes or EOF arrive — the session would stall until a timeout.
 * An inline `HANGUP` only sets `hungUp` (the pending command still gets its reply, typically 511);
 * a closed socket or garbage fails the pending command instead of hanging.
 */
export class AgiConnection {
  hungUp = false;
  closed = false;
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private envLines: string[] | null = [];
  private envWaiter: ((r: EnvironmentResult) => void) | null = null;
  private envResult: EnvironmentResult | null = null;
  private readonly replies = new ReplyReader();
  /** Commands sent and not yet answered, oldest first (Asterisk answers them in order). */
  private readonly pending: Pending[] = [];
  private readonly maxLine: number;
  private readonly maxEnvLines: number;

  constructor(private readonly socket: Socket, private readonly options: AgiConnectionOptions) {
    this.maxLine = options.maxLineBytes ?? 16 * 1024;
    this.maxEnvLines = options.maxEnvLines ?? 256;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => undefined); // 'close' follows; the session logs what matters
  }

  /** Resolves with the parsed environment, or a problem (garbage, closed, too slow). */
  readEnvironment(timeoutMs: number): Promise<EnvironmentResult> {
    if (this.envResult) return Promise.resolve(this.envResult);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.finishEnv({ ok: false, problem: `no complete AGI environment within ${timeoutMs} ms` }), timeoutMs);
      this.envWaiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /**
   * Queues one command line and resolves with its reply. Commands issued together are still sent
   * one after another (see the class comment); the caller may issue them at once.
   */
  command(text: string): Promise<AgiReply> {
    if (this.closed) return Promise.reject(new AgiCommandError('closed', `socket closed before "${text}"`));
    return new Promise<AgiReply>((resolve, reject) => {
      this.pending.push({ resolve, reject, timer: null, command: text });
      if (this.pending.length === 1) this.sendHead();
    });
  }

  /** Writes the oldest queued command and starts its reply timeout. */
  private sendHead(): void {
    const head = this.pending[0];
    if (!head || head.timer !== null || this.closed) return;
    head.timer = setTimeout(() => {
      // A late reply would be taken for the next command's: this session cannot continue.
      this.failPending(new AgiCommandError('timeout', `no reply to "${head.command}" within ${this.options.commandTimeoutMs} ms`));
      this.socket.destroy();
    }, this.options.commandTimeoutMs);
    this.socket.write(`${head.command}\n`);
  }

  /** Ends the session: Asterisk continues the dialplan (AGISTATUS SUCCESS). */
  close(): void {
    if (!this.closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer += this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && this.buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(this.buffer.slice(start, end));
      start = nl + 1;
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLine) this.onGarbage(`a line of more than ${this.maxLine} bytes`);
  }

  private onLine(line: string): void {
    if (this.envLines !== null) {
      if (line === '') {
        const lines = this.envLines;
        this.envLines = null;
        this.finishEnv(parseAgiEnvironment(lines));
        return;
      }
      if (!line.startsWith('agi_')) return this.onGarbage(`not an AGI environment: ${printable(line)}`);
      this.envLines.push(line);
      if (this.envLines.length > this.maxEnvLines) this.onGarbage(`more than ${this.maxEnvLines} environment lines`);
      return;
    }
    const event = this.replies.line(line);
    if (event === null) return;
    if (event.kind === 'hangup') {
      this.hungUp = true;
      return;
    }
    if (event.kind === 'garbage') return this.onGarbage(`not an AGI reply: ${printable(line)}`);
    const pending = this.pending[0];
    if (!pending || pending.timer === null) return this.onGarbage(`a reply to no command: ${printable(line)}`);
    this.pending.shift();
    clearTimeout(pending.timer);
    pending.resolve(event.reply);
    this.sendHead();
  }

  private onGarbage(problem: string): void {
    this.buffer = '';
    if (this.envLines !== null) {
      this.envLines = null;
      this.finishEnv({ ok: false, problem });
    }
    this.failPending(new AgiCommandError('garbage', problem));
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    if (this.envLines !== null) {
      this.envLines = null;
      this.finishEnv({ ok: false, problem: 'the peer closed the socket before the AGI environment was complete' });
    }
    this.failPending(() => new AgiCommandError('closed', 'the peer closed the socket'));
  }

  private failPending(err: AgiCommandError | (() => AgiCommandError)): void {
    if (this.pending.length === 0) return;
    const error = typeof err === 'function' ? err() : err;
    for (const pending of this.pending.splice(0)) {
      if (pending.timer !== null) clearTimeout(pending.timer);
      pending.reject(error);
    }
  }

  private finishEnv(result: EnvironmentResult): void {
    if (this.envResult) return;
    this.envResult = result;
    this.envLines = null;
    const waiter = this.envWaiter;
    this.envWaiter = null;
    waiter?.(result);
  }
}
