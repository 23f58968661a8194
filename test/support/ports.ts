import fs from 'node:fs';
import net from 'node:net';

// A port handed to a process that binds it later (Asterisk's AMI, a spawned connector) must not come
// from the kernel's ephemeral range: any outgoing connection in the meantime may take it as its
// local port (EADDRINUSE). Ports come from just below that range, a slice per test worker.
const SLICE = 400;

function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch { /* not Linux: the IANA dynamic range */ }
  return [49152, 65535];
}

function workerSlice(): number {
  const [lo] = ephemeralRange();
  const slices = Math.floor((lo - 10_000) / SLICE);
  if (slices < 1) throw new Error(`the ephemeral port range starts at ${lo}: no room below it for test ports`);
  const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 1);
  return 10_000 + ((worker - 1) % slices) * SLICE;
}

let offset = Math.floor(Math.random() * SLICE);

async function bindable(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A loopback port nobody listens on, outside the ephemeral range, for a server configured with it. */
export async function freePort(): Promise<number> {
  const base = workerSlice();
  for (let tries = 0; tries < SLICE; tries++) {
    const port = base + (offset++ % SLICE);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${base}–${base + SLICE - 1}`);
}
