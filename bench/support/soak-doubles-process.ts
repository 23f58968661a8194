// The PBX and Bitrix24 doubles of the soak bench, in a process of their own, driving mixed
// traffic at the connector: click-to-calls (Bitrix24 posts ONEXTERNALCALLSTART) and desk-phone
// calls (the PBX asks the connector for a route over FastAGI), half each; 3 numbers in 10 meet a
// congested trunk first and rotate. The rate counts attempts (a rotating call is two). Bitrix24
// limits requests as an Enterprise portal does (leaky bucket, burst 250, 5 requests/s) and
// answers 503 for 2 s of every 20 s. Talks to the bench over IPC.
import { startPbxDouble } from '../../src/doubles/asterisk/index.ts';
import { startBitrix24Double } from '../../src/doubles/bitrix24/server.ts';

export interface SoakReady {
  readonly type: 'ready';
  readonly amiPort: number;
  readonly amiSecret: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The double's OAuth server (B24_OAUTH_URL). */
  readonly oauthUrl: string;
}
/** Every `progress` second and at the end (`done`). */
export interface SoakCounts {
  readonly type: 'progress' | 'done';
  readonly clicks: number;
  readonly deskCalls: number;
  readonly deskCallsFinished: number;
  /** Calls whose first trunk is congested: each is a second attempt. */
  readonly rotations: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Windows of 2 s in which Bitrix24 answered every request 503. */
  readonly crmOutages: number;
  readonly seconds: number;
  /** How long the load was sent for (`seconds` also counts the wait for the last calls). */
  readonly loadSeconds: number;
  /** Click webhook → reply times of each 30 s of the run, ms: drift shows as later windows growing. */
  readonly replyWindows: readonly ReplyWindow[];
}
export interface ReplyWindow {
  readonly fromSeconds: number;
  readonly p50: number;
  readonly p99: number;
}
const WINDOW_S = 30;
type Command =
  | { readonly type: 'connector'; readonly agiPort: number; readonly baseUrl: string }
  | { readonly type: 'load'; readonly rate: number; readonly seconds: number }
  | { readonly type: 'stop' };

const send = (m: SoakReady | SoakCounts | { type: 'installed'; status: number }) => process.send?.(m);

let agiPort = 0;
let baseUrl = '';
const client = { clientId: 'local.b24pbx.soak', clientSecret: 'soak-client-secret' };
const amiSecret = 'soak-ami-secret';
/** An Enterprise portal's REST limit (a standard plan drains 2 requests/s, burst 50). */
export const PORTAL_LIMIT = { burst: 250, drainPerSecond: 5 } as const;
const bitrix24 = await startBitrix24Double({ ...client, rateLimit: PORTAL_LIMIT });
const pbx = await startPbxDouble({
  users: [{ username: 'connector', secret: amiSecret, read: ['call', 'user'], write: ['originate', 'reporting'] }],
  fastAgi: { host: '127.0.0.1', get port() { return agiPort; } },
  // Numbers ending in 0–2 (of 0–9) meet congestion on their first attempt, then the next trunk answers.
  trunks: (_dial, info) => (info.attempt === 1 && /[012]$/.test(info.number) ? { kind: 'hangup', cause: 34 } : { kind: 'answer', ringMs: 0, talkMs: 1000 }),
  defaultPhone: { kind: 'answer', afterMs: 0 },
  timeScale: 0.001,
  historyLimit: 0,
  loginFailureDelayMs: 0,
});
send({ type: 'ready', amiPort: pbx.amiPort, amiSecret, ...client, oauthUrl: bitrix24.baseUrl });

const EXTENSIONS = ['100', '101', '102'];
const USERS = ['1', '2', '3'];

async function load(rate: number, seconds: number): Promise<void> {
  let clicks = 0;
  let deskCalls = 0;
  let deskCallsFinished = 0;
  let rotations = 0;
  let errors = 0;
  let crmOutages = 0;
  const errorSamples: string[] = [];
  const failed = (what: string): void => {
    errors += 1;
    if (errorSamples.length < 5) errorSamples.push(what);
  };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const replyWindows: ReplyWindow[] = [];
  let replies: number[] = [];
  let windowFrom = 0;
  const closeWindow = (): void => {
    const sorted = replies.sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
    if (sorted.length > 0) replyWindows.push({ fromSeconds: windowFrom, p50: at(0.5), p99: at(0.99) });
    replies = [];
    windowFrom += WINDOW_S;
  };
  const counts = (type: 'progress' | 'done'): SoakCounts => ({ type, clicks, deskCalls, deskCallsFinished, rotations, errors, errorSamples, crmOutages, seconds: elapsed(), loadSeconds: loadSeconds ?? elapsed(), replyWindows });
  const progress = setInterval(() => {
    if (elapsed() >= windowFrom + WINDOW_S) closeWindow();
    send(counts('progress'));
  }, 1000);
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const total = Math.round(rate * seconds);
  let attempts = 0;
  let loadSeconds: number | null = null;
  let down = false;
  for (let i = 0; attempts < total; i++) {
    const wait = started + (attempts * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Bitrix24 answers 503 for 2 s of every 20 s.
    const outage = Math.floor(elapsed()) % 20 >= 18;
    if (outage !== down) {
      down = outage;
      if (outage) crmOutages += 1;
      await bitrix24.setOutage(outage ? 'unavailable' : 'none');
    }
    const number = `+7915${String(1_000_000 + (i % 9_000_000)).padStart(7, '0')}`;
    const who = i % 3;
    const rotates = /[012]$/.test(number);
    attempts += rotates ? 2 : 1;
    if (rotates) rotations += 1;
    if (i % 2 === 0) {
      clicks += 1;
      const call = bitrix24.state.registerClickToCall(USERS[who] as string, number);
      const sentAt = performance.now();
      track(bitrix24.postEvent(`${baseUrl}/bitrix24/events`, 'ONEXTERNALCALLSTART', {
        PHONE_NUMBER: number.replace('+7', '8'), PHONE_NUMBER_INTERNATIONAL: number, EXTENSION: '', USER_ID: USERS[who],
        CALL_LIST_ID: '0', LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '0',
      }).then((r) => {
        replies.push(performance.now() - sentAt);
        if (r.status !== 200) failed(`click: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
      }, (err: unknown) => failed(`click: ${(err as Error).message}`)));
    } else {
      deskCalls += 1;
      const desk = pbx.placeDeskCall(EXTENSIONS[who] as string, number.replace('+7', '8'));
      track(desk.finished.then(() => {
        deskCallsFinished += 1;
      }, (err: unknown) => failed(`desk call: ${(err as Error).message}`)));
    }
  }
  loadSeconds = elapsed();
  await bitrix24.setOutage('none');
  await Promise.all([...pending]);
  clearInterval(progress);
  closeWindow();
  send(counts('done'));
}

process.on('message', (raw: Command) => {
  void (async () => {
    if (raw.type === 'connector') {
      agiPort = raw.agiPort;
      baseUrl = raw.baseUrl;
      const r = await bitrix24.postInstall(`${baseUrl}/bitrix24/install`);
      send({ type: 'installed', status: r.status });
    } else if (raw.type === 'load') {
      await load(raw.rate, raw.seconds);
    } else {
      await pbx.close();
      await bitrix24.close();
      process.exit(0);
    }
  })();
});
