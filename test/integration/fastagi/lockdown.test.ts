import net from 'node:net';
import os from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parsePeerAllowlist } from '../../../src/adapters/asterisk/fastagi/peer-allowlist.ts';
import { startFastAgiServer, type FastAgiServer } from '../../../src/adapters/asterisk/fastagi/server.ts';
import type { RouteService } from '../../../src/app/calls/route-service.ts';
import { callsHarness, type CallsHarness } from '../../contracts/calls-harness.ts';
import { runAgi } from './agi-client.ts';
import { agiEnvironment } from './env-fixture.ts';

const SECRET = 'k3y-0123456789abcdef';
let h: CallsHarness;
let server: FastAgiServer | null;
beforeEach(async () => {
  h = await callsHarness();
  server = null;
});
afterEach(async () => {
  await server?.close();
  await h.close();
});

function start(o: { secret?: string; host?: string; allow?: string; service?: RouteService; deadlineMs?: number; now?: () => number }): Promise<FastAgiServer> {
  return startFastAgiServer({
    host: o.host ?? '127.0.0.1', port: 0, service: o.service ?? h.service, logger: h.log.logger, commandTimeoutMs: 500, envTimeoutMs: 500,
    allow: parsePeerAllowlist(o.allow), secret: o.secret ?? null, routeDeadlineMs: o.deadlineMs ?? 1500, ...(o.now ? { now: o.now } : {}),
  });
}

const logged = (text: string): Record<string, unknown>[] => h.log.lines().filter((l) => String(l.msg).includes(text));

/** A non-loopback address of this machine: connecting to it shows the peer as that address. */
const outside = Object.values(os.networkInterfaces()).flat().find((i) => i !== undefined && !i.internal && i.family === 'IPv4')?.address;

describe('FastAGI locked down', () => {
  it('listens on loopback unless told otherwise; a bad allowlist entry stops the start, named', async () => {
    const { loadEnv } = await import('../../../src/config/env.ts');
    expect(loadEnv({}).AGI_HOST).toBe('127.0.0.1');
    expect(() => loadEnv({ AGI_ALLOW: '10.0.0.5,pbx.local' })).toThrow(/AGI_ALLOW: "pbx.local" is not an IP address or a CIDR block/);
  });

  it('with a secret: a request carrying it is routed, one without it or with another gets nothing and is logged', async () => {
    server = await start({ secret: SECRET });
    const env = (script: string, uniqueid: string): string => agiEnvironment({ uniqueid, exten: '79160000001', attempt: 1, script });
    const right = await runAgi(server.port, env(`route?secret=${SECRET}`, '1700000100.1'), { vars: { CONNECTOR_EXTEN: '100' } });
    expect(right.set.ROUTE_ACTION).toBe('dial');
    for (const script of ['route', 'route?secret=k3y-0123456789abcdeX']) {
      const wrong = await runAgi(server.port, env(script, '1700000101.1'), { vars: { CONNECTOR_EXTEN: '100' } });
      expect(wrong).toMatchObject({ commands: [], closedByServer: true });
    }
    // Two refusals from one address within the minute: one line, and never the secret.
    expect(logged('wrong or missing secret')).toHaveLength(1);
    expect(JSON.stringify(h.log.lines())).not.toContain(SECRET);
    await h.service.drain();
    expect(await h.store.getCall('desk-1700000101.1')).toBeNull();
  });

  it('a route decision that misses its deadline is answered fail-open and logged; its late dial is closed as never dialled', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const slow = Object.assign(Object.create(h.service) as RouteService, {
      route: async (...args: Parameters<RouteService['route']>) => {
        await held;
        return h.service.route(...args);
      },
    });
    server = await start({ service: slow, deadlineMs: 100 });
    // The shipped dialplan's form: the facts come as arguments, the answer as one ROUTE variable.
    const env = agiEnvironment({ uniqueid: '1700000102.1', exten: '79160000001', attempt: 1 })
      .replace(/\n\n$/, '\nagi_arg_5: 1700000102.1\nagi_arg_6: 100\nagi_arg_7: \nagi_arg_8: ROUTE\n\n');
    const run = await runAgi(server.port, env);
    expect(run.set).toEqual({ ROUTE: 'failopen||||||no route decision in time' });
    expect(logged('no route decision within the deadline')).toMatchObject([{ deadlineMs: 100, attempt: 1 }]);
    release();
    await vi.waitFor(async () => {
      await h.service.drain();
      expect(await h.store.listAttempts('desk-1700000102.1')).toMatchObject([{ dialStatus: 'CANCEL' }]);
    });
  });

  describe.skipIf(outside === undefined)(`a peer not on the allowlist${outside === undefined ? ' (skipped: this machine has no non-loopback IPv4 address)' : ''}`, () => {
    const connect = (port: number): Promise<string> => new Promise((resolve) => {
      const s = net.connect(port, outside as string);
      let got = '';
      s.on('data', (d) => { got += d.toString(); });
      s.on('connect', () => s.write(agiEnvironment({ uniqueid: '1700000103.1', exten: '79160000001', attempt: 1 })));
      s.on('error', () => undefined);
      s.on('close', () => resolve(got));
    });

    it('is disconnected unanswered, logged once a minute per address', async () => {
      let now = 0;
      server = await start({ host: outside as string, now: () => now });
      expect(await connect(server.port)).toBe('');
      expect(await connect(server.port)).toBe('');
      expect(logged('not in AGI_ALLOW')).toMatchObject([{ peer: outside }]);
      now = 60_000;
      expect(await connect(server.port)).toBe('');
      expect(logged('not in AGI_ALLOW')).toHaveLength(2);
    });

    it('is served once its address is listed', async () => {
      server = await start({ host: outside as string, allow: `${outside as string}/32` });
      expect(await connect(server.port)).toMatch(/^GET VARIABLE|^SET VARIABLE/);
    });
  });
});
