import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBitrix24Double, type Bitrix24Double, type Bitrix24DoubleOptions } from '../../src/doubles/bitrix24/server.ts';
import type { DoubleCall } from '../../src/doubles/bitrix24/portal-state.ts';
import { freePort } from '../support/ports.ts';
import { ConnectorProcess } from './connector-process.ts';
import { LabAmi, type LabEvent } from './lab-ami.ts';
import { LAB_DIR, startLabAsterisk, type LabAsterisk } from './lab-asterisk.ts';
import { adminContexts, inboundAdminContexts, siteDialplan, labManager, writeLabRules, type Behaviour, BEHAVIOUR } from './lab-site.ts';
import { adminEditedDialplan, adminEditedManager, SHIPPED_DIALER, SHIPPED_INBOUND } from './shipped-config.ts';

const SHIPPED_RULES = fileURLToPath(new URL('../../rules/', import.meta.url));

/** How long a tier's start may take (Asterisk, the connector's cold start): hooks pass it on. */
export const TIER_START_MS = 90_000;

export interface TierOptions {
  /** Extra [globals] values of the shipped dialplan (an admin's edits). */
  readonly globals?: Readonly<Record<string, string>>;
  /** Replaces the admin-edited contexts (default: the lab's, adminContexts()). */
  readonly contexts?: Readonly<Record<string, string>>;
  /** Asterisk modules the lab's modules.conf loads that this PBX lacks (e.g. func_cut.so). */
  readonly withoutModules?: readonly string[];
  /** Extra connector environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** [globals] values of the shipped extensions_dialer.conf (an admin's edits). */
  readonly dialerGlobals?: Readonly<Record<string, string>>;
  /** A test's own dialplan contexts (e.g. operators' phones), included after the lab's. */
  readonly extraDialplan?: string;
  /** Edits the Asterisk config files copied over the lab's etc/ (this folder), after the tier wrote its own. */
  readonly etc?: (dir: string) => void;
  /** Edits the connector's rules folder after the lab's rules are written (before the connector starts). */
  readonly rules?: (dir: string) => void;
  /** Extra [globals] values of the shipped inbound dialplan. */
  readonly inboundGlobals?: Readonly<Record<string, string>>;
  /** The Bitrix24 double's settings (default: no rate limit, no latency). */
  readonly bitrix24?: Partial<Bitrix24DoubleOptions>;
}

export { freePort };

/** Polls a condition of the Bitrix24 double or the file system; fails naming what it waited for. */
export async function waitUntil<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The lab number whose trunks t1…t5 behave as `kinds` say (trunk N = digit N of the last five):
 * +7 900 SS ddddd, SS telling scenarios apart. Unlisted trunks answer.
 */
export function labNumber(scenario: number, kinds: readonly Behaviour[]): string {
  const digits = [0, 1, 2, 3, 4].map((i) => BEHAVIOUR[kinds[i] ?? 'answer']).join('');
  return `+7900${String(scenario).padStart(2, '0')}${digits}`;
}

export interface Attempt {
  readonly trunk: string;
  readonly exten: string;
  readonly callerId: string;
}

/** The real Asterisk with the shipped files, the connector process, the Bitrix24 double and the test's AMI. */
export class PbxTier {
  private constructor(
    readonly dir: string,
    readonly asterisk: LabAsterisk,
    readonly ami: LabAmi,
    readonly connector: ConnectorProcess,
    readonly bitrix24: Bitrix24Double,
    readonly baseUrl: string,
    readonly monitorDir: string,
    /** The shipped AMI user's secret: a test may log in as the connector does. */
    readonly connectorSecret: string,
  ) {}

  static async start(o: TierOptions = {}): Promise<PbxTier> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-pbx-tier-'));
    const monitorDir = path.join(dir, 'monitor');
    fs.mkdirSync(monitorDir);
    const [amiPort, agiPort, httpPort] = [await freePort(), await freePort(), await freePort()];
    const amiSecret = crypto.randomBytes(12).toString('hex');
    const labSecret = crypto.randomBytes(12).toString('hex');
    const files = (name: string, text: string) => { fs.writeFileSync(path.join(dir, name), text); return path.join(dir, name); };
    const dialplan = files('extensions_connector.conf', adminEditedDialplan(
      { CONNECTOR_AGI: `agi://127.0.0.1:${agiPort}/route`, CONNECTOR_MONITOR_DIR: monitorDir, ...o.globals },
      o.contexts ?? adminContexts(),
    ));
    const dialer = files('extensions_dialer.conf', adminEditedDialplan(o.dialerGlobals ?? {}, {}, SHIPPED_DIALER));
    const inbound = files('extensions_inbound.conf', adminEditedDialplan(
      { CONNECTOR_INBOUND_AGI: `agi://127.0.0.1:${agiPort}/inbound`, ...o.inboundGlobals },
      inboundAdminContexts(),
      SHIPPED_INBOUND,
    ));
    const site = files('lab-site.conf', `${siteDialplan()}\n${o.extraDialplan ?? ''}\n`);
    const manager = files('manager_connector.conf', adminEditedManager(amiSecret));
    const lab = files('manager_lab.conf', labManager(labSecret));
    const etcDir = path.join(dir, 'etc-extra');
    fs.mkdirSync(etcDir);
    // FreePBX's extensions.conf has a [globals] of its own: the shipped [globals] must merge with it.
    const labExtensions = fs.readFileSync(path.join(LAB_DIR, 'etc', 'extensions.conf'), 'utf8');
    fs.writeFileSync(path.join(etcDir, 'extensions.conf'), `[globals]\nLAB_SITE_GLOBAL=kept\n\n${labExtensions}`);
    if (o.withoutModules?.length) {
      const modules = fs.readFileSync(path.join(LAB_DIR, 'etc', 'modules.conf'), 'utf8').split('\n')
        .filter((line) => !o.withoutModules!.some((m) => line.trim() === `load => ${m}`));
      fs.writeFileSync(path.join(etcDir, 'modules.conf'), modules.join('\n'));
    }
    o.etc?.(etcDir);

    const client = { clientId: 'local.b24pbx.lab', clientSecret: crypto.randomBytes(12).toString('hex') };
    const bitrix24 = await startBitrix24Double({ ...client, rateLimit: false, ...o.bitrix24 });
    const asterisk = await startLabAsterisk({ runDir: path.join(dir, 'asterisk'), amiPort, include: [dialplan, dialer, inbound, site], manager: [manager, lab], etcDir })
      .catch(async (err: unknown) => { await bitrix24.close(); throw err; });
    const ami = await LabAmi.connect(amiPort, labSecret)
      .catch(async (err: unknown) => { await asterisk.stop(); await bitrix24.close(); throw err; });
    const rulesDir = path.join(dir, 'rules');
    writeLabRules(SHIPPED_RULES, rulesDir);
    o.rules?.(rulesDir);
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const connector = new ConnectorProcess({
      DATABASE_URL: path.join(dir, 'connector.sqlite'), RULES_DIR: rulesDir, LOG_LEVEL: 'debug',
      PORT: String(httpPort), HTTP_HOST: '127.0.0.1', PUBLIC_URL: baseUrl,
      AGI_HOST: '127.0.0.1', AGI_PORT: String(agiPort), FAILOPEN_TRUNK: 'failopen',
      AMI_HOST: '127.0.0.1', AMI_PORT: String(amiPort), AMI_USER: 'connector', AMI_SECRET: amiSecret,
      AMI_RECONNECT_MIN_MS: '100', AMI_RECONNECT_MAX_MS: '500',
      ORIGINATE_CHANNEL: 'Local/{extension}@phones', ORIGINATE_CONTEXT: 'connector-outbound', ORIGINATE_TIMEOUT_MS: '3000',
      B24_MODE: 'app', B24_CLIENT_ID: client.clientId, B24_CLIENT_SECRET: client.clientSecret,
      B24_OAUTH_URL: bitrix24.baseUrl, B24_ALLOW_HTTP_LOOPBACK: '1',
      RECORDINGS_DIR: monitorDir, RECORD_URL_SECRET: crypto.randomBytes(16).toString('hex'),
      TRACKER_FLUSH_MS: '20', OUTBOX_POLL_MS: '20',
      ...o.env,
    });
    const tier = new PbxTier(dir, asterisk, ami, connector, bitrix24, baseUrl, monitorDir, amiSecret);
    try {
      await connector.start();
      await connector.waitLog('AMI connected', (l) => l.msg === 'AMI connected');
      const installed = await bitrix24.postInstall(`${baseUrl}/bitrix24/install`);
      if (installed.status !== 200) throw new Error(`the app install failed: HTTP ${installed.status} ${installed.body}`);
    } catch (err) {
      await tier.stop();
      throw err;
    }
    return tier;
  }

  /**
   * A call dialled on desk phone 100: an Originate of `Local/NUMBER@lab-desk-100` (the handset side
   * waits); `vars` are inherited by the dialling side. Returns the call's Linkedid.
   */
  async deskCall(number: string, vars: Readonly<Record<string, string>> = {}): Promise<string> {
    const id = `desk-${crypto.randomBytes(6).toString('hex')}`;
    const variable = Object.entries(vars).map(([k, v]) => `__${k}=${v}`).join(',');
    const [res] = await this.ami.action({
      Action: 'Originate', Channel: `Local/${number}@lab-desk-100`, Application: 'Wait', Data: '60', Async: 'true',
      ChannelId: id, OtherChannelId: `${id}-b`, ...(variable ? { Variable: variable } : {}),
    });
    if (res?.Response !== 'Success') throw new Error(`Originate failed: ${JSON.stringify(res)}`);
    return id;
  }

  /**
   * A click-to-call from the CRM (Bitrix24 registers it, then posts ONEXTERNALCALLSTART with the
   * number as the CRM holds it, and its international form when it has one). Returns CALL_ID.
   */
  async click(userId: string, number: string, international = number): Promise<string> {
    const registered = this.bitrix24.state.registerClickToCall(userId, number);
    const res = await this.bitrix24.postEvent(`${this.baseUrl}/bitrix24/events`, 'ONEXTERNALCALLSTART', {
      PHONE_NUMBER: number, PHONE_NUMBER_INTERNATIONAL: international, EXTENSION: '', USER_ID: userId, CALL_LIST_ID: '0',
      LINE_NUMBER: '', IS_MOBILE: '0', CALL_ID: registered.CALL_ID, CRM_ENTITY_TYPE: 'CONTACT', CRM_ENTITY_ID: '0',
    });
    if (res.status !== 200) throw new Error(`the connector answered HTTP ${res.status} to ONEXTERNALCALLSTART`);
    return registered.CALL_ID;
  }

  /**
   * A call from `caller` to the inbound number `did`: an Originate of `Local/DID@connector-inbound`
   * whose caller side presses `keys` once the scenario answers. Returns the call's Linkedid.
   */
  async inboundCall(did: string, o: { readonly keys?: string; readonly caller?: string; readonly vars?: Readonly<Record<string, string>> } = {}): Promise<string> {
    const id = `in-${crypto.randomBytes(6).toString('hex')}`;
    const vars = { LAB_KEYS: o.keys ?? '', ...o.vars };
    const [res] = await this.ami.action({
      Action: 'Originate', Channel: `Local/${did}@connector-inbound`, Context: 'lab-caller', Exten: 's', Priority: '1', Async: 'true',
      CallerID: `"${o.caller ?? '79161234567'}" <${o.caller ?? '79161234567'}>`, Timeout: '120000',
      ChannelId: id, OtherChannelId: `${id}-b`, Variable: Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(','),
    });
    if (res?.Response !== 'Success') throw new Error(`Originate failed: ${JSON.stringify(res)}`);
    return id;
  }

  /** The lab phones (Local/NNN@phones) a call made ring, in the order their Dial began. */
  phonesRung(linkedid: string): string[] {
    return this.ami.events
      .filter((e) => e.Event === 'DialBegin' && e.Linkedid === linkedid && /^Local\/\d+@phones-/.test(e.DestChannel ?? ''))
      .map((e) => /^Local\/(\d+)@/.exec(e.DestChannel ?? '')?.[1] ?? '');
  }

  /** Waits for a lab phone to answer the call; resolves with its extension. */
  async phoneAnswered(linkedid: string, timeoutMs = 30_000): Promise<string> {
    const e = await this.ami.waitEvent(`a phone answering ${linkedid}`, (ev) => ev.Event === 'DialEnd' && ev.Linkedid === linkedid && ev.DialStatus === 'ANSWER' && /@phones-/.test(ev.DestChannel ?? ''), timeoutMs);
    return /^Local\/(\d+)@/.exec(e.DestChannel ?? '')?.[1] ?? '';
  }

  /** The inbound steps the dialplan ran for the call (UserEvent ConnectorInboundStep): `action arg`. */
  inboundSteps(linkedid: string): string[] {
    return this.ami.events
      .filter((e) => e.Event === 'UserEvent' && e.UserEvent === 'ConnectorInboundStep' && e.Linkedid === linkedid)
      .map((e) => `${e.Action ?? ''} ${e.Arg ?? ''}`.trim());
  }

  /** The lab trunks the call reached (LabTrunk events of its Linkedid), in order. */
  attemptsOf(linkedid: string): Attempt[] {
    return this.ami.events
      .filter((e) => e.Event === 'UserEvent' && e.UserEvent === 'LabTrunk' && e.Linkedid === linkedid)
      .map((e) => ({ trunk: e.Trunk ?? '', exten: e.Exten ?? '', callerId: e.CallerID ?? '' }));
  }

  /** Waits until every channel of this Linkedid has hung up and none is left in CoreShowChannels. */
  async callGone(linkedid: string, timeoutMs = 20_000): Promise<void> {
    await this.ami.waitEvent(`the hang-up of ${linkedid}`, (e) => e.Event === 'Hangup' && e.Linkedid === linkedid && e.Uniqueid === linkedid, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = (await this.ami.channels()).filter((c) => c.Linkedid === linkedid);
      if (left.length === 0) return;
      if (Date.now() > deadline) throw new Error(`channels left: ${left.map((c) => c.Channel).join(', ')}`);
      await this.ami.waitEvent('a hang-up', (e) => e.Event === 'Hangup' && e.Linkedid === linkedid && !this.seenHangups.has(e.Uniqueid ?? ''), 2_000).catch(() => undefined);
    }
  }

  private get seenHangups(): Set<string> {
    return new Set(this.ami.events.filter((e) => e.Event === 'Hangup').map((e) => e.Uniqueid ?? ''));
  }

  /** The CRM calls the connector registered for desk-phone calls to this number. */
  registeredFor(number: string): DoubleCall[] {
    return [...this.bitrix24.state.calls.values()].filter((c) => c.PHONE_NUMBER === number && c.EXTERNAL_CALL_ID !== null);
  }

  /** Waits for the connector's `register` of a desk-phone call to this number. */
  async registered(number: string): Promise<DoubleCall> {
    return waitUntil(`register of a call to ${number}`, () => this.registeredFor(number)[0]);
  }

  /** Waits for the recording to be attached to this CRM call. */
  async recordAttached(crmCallId: string): Promise<void> {
    await waitUntil(`a record attached to ${crmCallId}`, () => (this.bitrix24.state.calls.get(crmCallId)?.records.length ?? 0) > 0);
  }

  /** Waits for `finish` of this CRM call; resolves with its params. */
  async finished(crmCallId: string): Promise<Record<string, unknown>> {
    return waitUntil(`finish of ${crmCallId}`, () => this.bitrix24.state.calls.get(crmCallId)?.finished ?? undefined);
  }

  /** Talk time of the answered trunk leg of a call, from Asterisk's own event timestamps. */
  talkSeconds(linkedid: string): number {
    const answered = this.ami.events.find((e) => e.Event === 'DialEnd' && e.Linkedid === linkedid && e.DialStatus === 'ANSWER' && (e.DestChannel ?? '').includes('@lab-'));
    if (!answered) return 0;
    const hangup = this.ami.events.find((e) => e.Event === 'Hangup' && e.Uniqueid === answered.DestUniqueid);
    return hangup ? Number(hangup.Timestamp) - Number(answered.Timestamp) : 0;
  }

  /** The Linkedid of the click-to-call the connector originated for this CRM call (its ChannelId, `<call id>-a`). */
  async linkedidOf(crmCallId: string): Promise<string> {
    const line = await this.connector.waitLog(`the Originate of ${crmCallId}`, (l) => l.msg === 'click-to-call originated' && l.crmCallId === crmCallId);
    return `${String(line.callId)}-a`;
  }

  /** Waits until the connector has handed this call's record to its CRM side (what it will write is decided then). */
  async handedOff(linkedid: string): Promise<void> {
    await this.connector.waitLog(`the record of ${linkedid}`, (l) => l.msg === 'call record handed to the CRM outbox' && String(l.callId).includes(linkedid));
  }

  /** Hangs up every channel of the call (a person putting the phone down). */
  async hangUp(linkedid: string): Promise<void> {
    for (const c of await this.ami.channels()) {
      if (c.Linkedid === linkedid) await this.ami.action({ Action: 'Hangup', Channel: c.Channel ?? '' });
    }
  }

  /**
   * Asterisk stopped (`stopped`: SIGTERM, it hangs up every channel first) or killed (`killed`:
   * SIGKILL, nothing more is said) and started again; resolves once the test's AMI session is back
   * and the connector has logged in again on its own.
   */
  async restartAsterisk(how: 'stopped' | 'killed'): Promise<void> {
    let seen = 0;
    const before = this.connector.lines.filter((l) => l.msg === 'AMI connected').length;
    const back = this.connector.waitLog('the connector logging in to the restarted Asterisk', (l) => l.msg === 'AMI connected' && ++seen > before, 30_000);
    await this.asterisk.kill(how === 'killed' ? 'SIGKILL' : 'SIGTERM');
    await this.ami.closed;
    await this.asterisk.start();
    await this.ami.reopen();
    await back;
  }

  /** UserEvent(ConnectorFailOpen) of the call. */
  failOpensOf(linkedid: string): LabEvent[] {
    return this.ami.events.filter((e) => e.Event === 'UserEvent' && e.UserEvent === 'ConnectorFailOpen' && e.Linkedid === linkedid);
  }

  /** Every event of this Linkedid, in order. */
  eventsOf(linkedid: string): LabEvent[] {
    return this.ami.events.filter((e) => e.Linkedid === linkedid);
  }

  async stop(): Promise<void> {
    await this.connector.stop().catch(() => undefined);
    this.ami.close();
    await this.asterisk.stop();
    await this.bitrix24.close();
    if (process.env.PBX_TIER_KEEP !== '1') fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export { LAB_DIR };
