import net from 'node:net';

export interface AgiSession {
  readonly env: Readonly<Record<string, string>>;
  /** Every command sent and the reply received, in order. */
  readonly exchanges: { command: string; reply: string }[];
}

/** What to answer to one route request: the commands to send (one at a time, each waits for its reply). */
export type AgiPlan = (env: Readonly<Record<string, string>>, sessionIndex: number) => readonly string[];

/** `SET VARIABLE` commands a route server sends to dial (as in fastagi-session-01/02). */
export function dialCommands(dial: string, callerId: string, timeoutS = 4): string[] {
  return [`SET VARIABLE ROUTE_ACTION "dial"`, `SET VARIABLE ROUTE_DIAL "${dial}"`, `SET VARIABLE ROUTE_CALLERID "${callerId}"`, `SET VARIABLE ROUTE_TIMEOUT "${timeoutS}"`];
}
export const STOP = ['SET VARIABLE ROUTE_ACTION "stop"'];

/**
 * A tiny FastAGI server for tests only: reads the agi_* block, sends the planned commands one by
 * one (reading each reply, including multi-line 520 blocks), then closes the socket.
 */
export async function startFastAgiResponder(plan: AgiPlan): Promise<{ port: number; sessions: AgiSession[]; close(): Promise<void> }> {
  const sessions: AgiSession[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8');
    let buffer = '';
    const env: Record<string, string> = {};
    const session: AgiSession = { env, exchanges: [] };
    const index = sessions.length;
    sessions.push(session);
    let phase: 'env' | 'commands' = 'env';
    let queue: string[] = [];
    let reply: string[] = [];
    const sendNext = (): void => {
      const next = queue.shift();
      if (next === undefined) {
        socket.end();
        return;
      }
      session.exchanges.push({ command: next, reply: '' });
      socket.write(`${next}\n`);
    };
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (phase === 'env') {
          if (line === '') {
            phase = 'commands';
            queue = [...plan(env, index)];
            sendNext();
          } else {
            const sep = line.indexOf(': ');
            env[sep >= 0 ? line.slice(0, sep) : line.replace(/:$/, '')] = sep >= 0 ? line.slice(sep + 2) : '';
          }
          continue;
        }
        reply.push(line);
        if (/^\d{3} /.test(line)) {
          const last = session.exchanges[session.exchanges.length - 1];
          if (last) last.reply = reply.join('\n');
          reply = [];
          sendNext();
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
