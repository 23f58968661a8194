import net from 'node:net';
import { AmiParser, amiGet, encodeAmiMessage, type AmiField, type AmiMessage } from '../../../../src/adapters/asterisk/ami/codec.ts';

/** A bare AMI socket for tests of the double: send actions, wait for messages, see the close. */
export class RawAmi {
  readonly messages: AmiMessage[] = [];
  banner: string | null = null;
  closed = false;
  private readonly parser = new AmiParser({ expectBanner: true });
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.messages.push(...this.parser.push(chunk));
      this.banner = this.parser.banner;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawAmi> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawAmi(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(fields: readonly AmiField[]): void {
    this.socket.write(encodeAmiMessage(fields));
  }

  write(raw: string): void {
    this.socket.write(raw);
  }

  /** Waits until a message matches (searching from `from`), or the socket closes, or 5 s pass. */
  async waitFor(pred: (m: AmiMessage) => boolean, from = 0): Promise<AmiMessage> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = this.messages.slice(from).find(pred);
      if (found) return found;
      if (this.closed) throw new Error('socket closed before the expected message');
      if (Date.now() > deadline) throw new Error('timed out waiting for an AMI message');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async waitClosed(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async login(username: string, secret: string): Promise<AmiMessage> {
    this.send([['Action', 'Login'], ['ActionID', 'login-1'], ['Username', username], ['Secret', secret]]);
    return this.waitFor((m) => amiGet(m, 'ActionID') === 'login-1');
  }

  close(): void {
    this.socket.destroy();
  }
}

export const byEvent = (name: string) => (m: AmiMessage): boolean => amiGet(m, 'Event') === name;
