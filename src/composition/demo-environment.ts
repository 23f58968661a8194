import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../adapters/logging/logger.ts';
import type { CrmClock } from '../app/crm/clock.ts';
import type { Env } from '../config/env.ts';
import { DEMO_PHONE, DEMO_TRUNKS, startPbxDouble, type PbxDouble, type PhoneScript, type TrunkScript } from '../doubles/asterisk/index.ts';
import { Bitrix24Double, type Bitrix24DoubleOptions } from '../doubles/bitrix24/server.ts';
import { amiGet } from '../adapters/asterisk/ami/codec.ts';
import { listenHttp, startConnector, type Connector } from './connector.ts';
import { listenAsBefore, rememberedDemoPortal } from './demo-portal.ts';

export interface DoublesOptions {
  /** Multiplies every PBX wait (ring, talk): 1 = real time, 0.05 = twenty times faster. */
  readonly timeScale?: number;
  readonly trunks?: TrunkScript;
  readonly phones?: Readonly<Record<string, PhoneScript>>;
  readonly defaultPhone?: PhoneScript;
  readonly bitrix24?: Bitrix24DoubleOptions;
  readonly crmClock?: CrmClock;
  /** Extra environment on top of the derived one (tests set DATABASE_URL, RULES_DIR…). */
  readonly env?: Partial<Env>;
  /** Post ONAPPINSTALL right away, as a portal admin installing the app would (default true). */
  readonly install?: boolean;
}

/** The connector wired to in-process doubles of the PBX and of Bitrix24, over real sockets. */
export interface DoubledConnector {
  readonly connector: Connector;
  readonly pbx: PbxDouble;
  readonly bitrix24: Bitrix24Double;
  /** `http://127.0.0.1:PORT`: where the double posts events. */
  readonly baseUrl: string;
  /**
   * Restarts the connector on the same database, ports and doubles (a restart in the middle of a
   * call); `whileDown` runs between the stop and the start (e.g. let the call end meanwhile).
   */
  restartConnector(whileDown?: () => Promise<void>): Promise<Connector>;
  stop(): Promise<void>;
}

/**
 * Starts the PBX double and the Bitrix24 double and the connector between them: the demo behind
 * `npm start` when nothing is configured, and the harness of the service's end-to-end tests.
 * Only addresses differ from a real deployment: the connector speaks AMI, FastAGI and Bitrix24 REST
 * to them exactly as it would to Asterisk and a portal.
 */
export async function startWithDoubles(base: Readonly<Env>, logger: Logger, o: DoublesOptions = {}): Promise<DoubledConnector> {
  let agiPort = 0;
  const amiSecret = crypto.randomBytes(12).toString('hex');
  const client = { clientId: 'local.b24pbx.demo', clientSecret: crypto.randomBytes(12).toString('hex') };
  // The portal installed by an earlier run on this database comes back as it was.
  const remembered = await rememberedDemoPortal(o.env?.DATABASE_URL ?? base.DATABASE_URL);
  const bitrix24 = await listenAsBefore(new Bitrix24Double({ ...client, ...remembered?.double, ...o.bitrix24 }), remembered?.port ?? 0);
  for (const call of remembered?.calls ?? []) bitrix24.state.rememberCall(call);
  const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-recordings-'));
  const pbx = await startPbxDouble({
    monitorDir: recordings,
    users: [{ username: 'connector', secret: amiSecret }],
    fastAgi: { host: '127.0.0.1', get port() { return agiPort; } },
    trunks: o.trunks ?? DEMO_TRUNKS,
    ...(o.phones ? { phones: o.phones } : {}),
    defaultPhone: o.defaultPhone ?? DEMO_PHONE,
    timeScale: o.timeScale ?? 1,
    loginFailureDelayMs: 0,
  });
  // The double announces MixMonitor's file (VarSet MIXMONITOR_FILENAME) but records no audio:
  // write a short silent WAV there, so the CRM's attachRecord has a real file to upload.
  pbx.onEvent((ev) => {
    if (amiGet(ev, 'Event') !== 'VarSet' || amiGet(ev, 'Variable') !== 'MIXMONITOR_FILENAME') return;
    const file = amiGet(ev, 'Value') ?? '';
    if (path.dirname(file) === recordings) fs.writeFile(file, silentWav(1), () => undefined);
  });

  let httpServer: http.Server = await listenHttp(base.PORT, '127.0.0.1');
  const port = (httpServer.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Env = {
    ...base,
    AMI_HOST: '127.0.0.1', AMI_PORT: pbx.amiPort, AMI_USER: 'connector', AMI_SECRET: amiSecret,
    AMI_RECONNECT_MIN_MS: 50, AMI_RECONNECT_MAX_MS: 1000,
    AGI_HOST: '127.0.0.1', AGI_PORT: base.AGI_PORT,
    ORIGINATE_CHANNEL: 'PJSIP/{extension}',
    B24_MODE: 'app', B24_CLIENT_ID: client.clientId, B24_CLIENT_SECRET: client.clientSecret,
    // The double is the portal and its OAuth server, on 127.0.0.1 over http: allowed here only.
    B24_OAUTH_URL: bitrix24.baseUrl, B24_ALLOW_HTTP_LOOPBACK: true,
    PUBLIC_URL: baseUrl, RECORDINGS_DIR: recordings, RECORD_URL_SECRET: crypto.randomBytes(16).toString('hex'),
    ...o.env,
  };

  const start = async (server: http.Server): Promise<Connector> => {
    const c = await startConnector({ env, logger, sampleDataIfEmpty: true, httpServer: server, ...(o.crmClock ? { crmClock: o.crmClock } : {}) });
    agiPort = c.agiPort;
    return c;
  };
  let connector = await start(httpServer);
  // A fixed AGI port for the restarted connector, so the PBX double's dialplan keeps reaching it.
  env.AGI_PORT = connector.agiPort;
  if (o.install ?? true) {
    const installed = await bitrix24.postInstall(`${baseUrl}/bitrix24/install`);
    if (installed.status !== 200) throw new Error(`demo: the Bitrix24 double could not install the app (HTTP ${installed.status}: ${installed.body})`);
  }

  return {
    get connector() { return connector; },
    pbx, bitrix24, baseUrl,
    async restartConnector(whileDown) {
      await connector.stop();
      await whileDown?.();
      httpServer = await listenHttp(port, '127.0.0.1');
      connector = await start(httpServer);
      return connector;
    },
    async stop() {
      await connector.stop();
      await pbx.close();
      await bitrix24.close();
      fs.rmSync(recordings, { recursive: true, force: true });
    },
  };
}

/** A mono 8 kHz 16-bit PCM WAV of silence. */
function silentWav(seconds: number): Buffer {
  const samples = 8000 * seconds;
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples * 2, 40);
  return b;
}
