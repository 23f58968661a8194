import net from 'node:net';

/**
 * A TCP relay on a free port: each new connection goes to the next target (round robin), which
 * is how a TCP load balancer spreads FastAGI sessions over instances. `cut()` drops every
 * connection at once and refuses new ones (a host vanishing, or its network path to a service).
 */
export interface TcpProxy {
  readonly port: number;
  /** Connections relayed so far, per target port. */
  readonly relayed: Map<number, number>;
  cut(): Promise<void>;
}

export async function startTcpProxy(targets: () => readonly number[], host = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const relayed = new Map<number, number>();
  let next = 0;
  const server = net.createServer((client) => {
    const ports = targets();
    const port = ports[next++ % Math.max(1, ports.length)];
    if (port === undefined) {
      client.destroy();
      return;
    }
    relayed.set(port, (relayed.get(port) ?? 0) + 1);
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).on('error', () => undefined);
    upstream.pipe(client).on('error', () => undefined);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    relayed,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
