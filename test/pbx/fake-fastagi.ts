import net from 'node:net';

/** What a misbehaving route server does once Asterisk has sent the AGI environment. */
export type FakeBehaviour =
  | { readonly kind: 'accept-close' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'garbage' }
  /** Sends these AGI commands one at a time (each after Asterisk's reply to the previous), then closes; null = hang on this request. */
  | { readonly kind: 'commands'; readonly commands: (env: Readonly<Record<string, string>>) => readonly string[] | null };

/** A FastAGI server that fails the way a broken or stuck connector would; `sessions` counts requests. */
export class FakeFastAgi {
  sessions = 0;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server) {}

  static async start(behaviour: FakeBehaviour): Promise<FakeFastAgi> {
    const server = net.createServer();
    const fake = new FakeFastAgi(server);
    server.on('connection', (socket) => fake.serve(socket, behaviour));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return fake;
  }

  get url(): string {
    return `agi://127.0.0.1:${(this.server.address() as net.AddressInfo).port}/route`;
  }

  private serve(socket: net.Socket, behaviour: FakeBehaviour): void {
    this.sessions += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (behaviour.kind === 'accept-close') { socket.destroy(); return; }
    let buffer = '';
    let env: Record<string, string> | undefined;
    let queue: string[] = [];
    let stuck = behaviour.kind === 'hang';
    socket.on('data', (chunk) => {
      // A stuck server reads nothing and never closes, not even after Asterisk's HANGUP.
      if (stuck) return;
      buffer += chunk.toString('utf8');
      if (!env) {
        const end = buffer.indexOf('\n\n');
        if (end < 0) return;
        env = Object.fromEntries(buffer.slice(0, end).split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        buffer = buffer.slice(end + 2);
        if (behaviour.kind === 'garbage') { socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>\x00\xff</html>\n'); return; }
        const commands = behaviour.kind === 'commands' ? behaviour.commands(env) : [];
        if (commands === null) {
          stuck = true;
          return;
        }
        queue = [...commands];
      } else {
        if (!buffer.includes('\n')) return;
        buffer = '';
      }
      const next = queue.shift();
      if (next === undefined) socket.end();
      else socket.write(`${next}\n`);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

/** The route answer of the shipped contract, one variable (agi_arg_8 = ROUTE). */
export function routeAnswer(fields: { action: string; dial?: string; callerId?: string; timeout?: number; record?: 0 | 1; reason?: string }): string {
  const value = [fields.action, fields.dial ?? '', fields.callerId ?? '', fields.timeout ?? '', fields.record ?? 0, '', fields.reason ?? ''].join('|');
  return `SET VARIABLE ROUTE "${value}"`;
}
