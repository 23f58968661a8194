// The PBX double and the Bitrix24 double in a process of their own, driving a paced load of
// click-to-calls at the connector: so the connector's figures are not its doubles' CPU time (in
// production the PBX and the portal are other machines). Talks to the bench over IPC.
import { startPbxDouble } from '../../src/doubles/asterisk/index.ts';
import { startBitrix24Double } from '../../src/doubles/bitrix24/server.ts';

export interface DoublesReady {
  readonly type: 'ready';
  readonly amiPort: number;
  readonly amiSecret: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The Bitrix24 double's base URL: its OAuth server vouches for the install. */
  readonly oauthUrl: string;
}
export interface LoadDone {
  readonly type: 'done';
  /** CALL_ID → wall-clock ms (timeOrigin + performance.now) just before the POST. */
  readonly sentAt: Record<string, number>;
  readonly replies: number[];
  readonly errors: number;
  /** The first few failures, as `HTTP 503: …` or the socket error. */
  readonly errorSamples: readonly string[];
  readonly seconds: number;
}
type Command =
  | { readonly type: 'connector'; readonly agiPort: number; readonly baseUrl: string }
  | { readonly type: 'load'; readonly rate: number; readonly total: number }
  | { readonly type: 'stop' };

const send = (m: DoublesReady | LoadDone | { type: 'installed'; status: number }) => process.send?.(m);
const wallNow = () => performance.timeOrigin + performance.now();

let agiPort = 0;
let baseUrl = '';
const client = { clientId: 'local.b24pbx.bench', clientSecret: 'bench-client-secret' };
const amiSecret = 'bench-ami-secret';
const bitrix24 = await startBitrix24Double({ ...client, rateLimit: false });
const pbx = await startPbxDouble({
  // The shipped manager.conf user: read=call,user (VarSet/Newexten noise is never sent), write=originate,reporting.
  users: [{ username: 'connector', secret: amiSecret, read: ['call', 'user'], write: ['originate', 'reporting'] }],
  fastAgi: { host: '127.0.0.1', get port() { return agiPort; } },
  trunks: [{ match: '*', outcome: { kind: 'busy' } }],
  defaultPhone: { kind: 'answer', afterMs: 0 },
  timeScale: 0.001,
  // Nothing looks at the double's history here: keep none, and build no event the connector does not read.
  historyLimit: 0,
  loginFailureDelayMs: 0,
});
send({ type: 'ready', amiPort: pbx.amiPort, amiSecret, ...client, oauthUrl: bitrix24.baseUrl });

process.on('message', (raw: Command) => {
  void (async () => {
    if (raw.type === 'connector') {
      agiPort = raw.agiPort;
      baseUrl = raw.baseUrl;
      const r = await bitrix24.postInstall(`${baseUrl}/bitrix24/install`);
      send({ type: 'installed', status: r.status });
    } else if (raw.type === 'load') {
      const sentAt: Record<string, number> = {};
      const replies: number[] = [];
      let errors = 0;
      const errorSamples: string[] = [];
      const failed = (what: string): void => {
        errors += 1;
        if (errorSamples.length < 3) errorSamples.push(what);
      };
      const posts: Promise<void>[] = [];
      const started = performance.now();
      for (let i = 0; i < raw.total; i++) {
        const wait = started + (i * 1000) / raw.rate - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        const number = `+7915${String(1_000_000 + i).padStart(7, '0')}`;
        const call = bitrix24.state.registerClickToCall('1', number);
        sentAt[call.CALL_ID] = wallNow();
        posts.push(bitrix24.postEvent(`${baseUrl}/bitrix24/events`, 'ONEXTERNALCALLSTART', {
          PHONE_NUMBER: number.replace('+7', '8'), PHONE_NUMBER_INTERNATIONAL: number, EXTENSION: '', USER_ID: '1',
          CALL_LIST_ID: '0', LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: call.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '0',
        }).then((r) => {
          if (r.status !== 200) failed(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
          replies.push(r.elapsedMs);
        }, (err: unknown) => {
          failed((err as Error).message);
        }));
      }
      await Promise.all(posts);
      send({ type: 'done', sentAt, replies, errors, errorSamples, seconds: (performance.now() - started) / 1000 });
    } else {
      await pbx.close();
      await bitrix24.close();
      process.exit(0);
    }
  })();
});
