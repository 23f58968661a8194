import crypto from 'node:crypto';

/** What a REST method answered in the double: a result (with paging) or a Bitrix24 error. */
export type MethodAnswer =
  | { readonly ok: true; readonly result: unknown; readonly total?: number; readonly next?: number }
  | { readonly ok: false; readonly status: number; readonly error: string; readonly description: string };

export interface DoubleUser {
  readonly ID: string;
  readonly NAME?: string;
  readonly LAST_NAME?: string;
  readonly ACTIVE?: boolean;
  readonly UF_PHONE_INNER?: string | null;
  readonly UF_DEPARTMENT?: readonly number[];
  readonly USER_TYPE?: string;
  /** Profile phones and the working-day status, as searchCrmEntities shows them in ASSIGNED_BY. */
  readonly PERSONAL_MOBILE?: string | null;
  readonly WORK_PHONE?: string | null;
  readonly TIMEMAN_STATUS?: string;
}

export interface DoubleDepartment {
  readonly ID: string;
  readonly NAME: string;
  readonly PARENT?: string;
  readonly UF_HEAD?: string;
}

export interface DoubleCrmEntity {
  readonly CRM_ENTITY_TYPE: string;
  readonly CRM_ENTITY_ID: number;
  readonly ASSIGNED_BY_ID: number;
  readonly NAME: string;
}

/** A call as the portal keeps it. */
export interface DoubleCall {
  readonly CALL_ID: string;
  readonly EXTERNAL_CALL_ID: string | null;
  readonly USER_ID: string;
  readonly PHONE_NUMBER: string;
  readonly TYPE: number;
  readonly LINE_NUMBER: string;
  readonly registeredAt: number;
  finished: Record<string, unknown> | null;
  records: { FILE_ID: number; FILENAME: string; source: 'content' | 'url' | 'upload'; bytes?: number; url?: string }[];
  hidden: boolean;
  /** The CRM entity the register named (CRM_ENTITY_TYPE / CRM_ENTITY_ID). */
  crmEntity?: { readonly type: string; readonly id: string };
  /** Users the call's card was shown to (telephony.externalcall.show), in order. */
  shownTo?: string[];
}

/** A CRM lead as crm.lead.list returns it. */
export interface DoubleLead {
  readonly ID: string;
  readonly TITLE: string;
  readonly STATUS_ID: string;
  readonly ASSIGNED_BY_ID?: string;
  readonly PHONE?: readonly { readonly VALUE: string; readonly VALUE_TYPE: string }[];
}

/** A CRM deal as crm.deal.list returns it (its phones are its contact's or company's). */
export interface DoubleDeal {
  readonly ID: string;
  readonly TITLE: string;
  readonly STAGE_ID: string;
  readonly CATEGORY_ID?: string;
  readonly CONTACT_ID?: string | null;
  readonly COMPANY_ID?: string | null;
}

/** A CRM contact or company as crm.contact.list / crm.company.list return it. */
export interface DoubleClient {
  readonly ID: string;
  readonly NAME?: string;
  readonly LAST_NAME?: string;
  readonly TITLE?: string;
  readonly PHONE?: readonly { readonly VALUE: string; readonly VALUE_TYPE: string }[];
}

/** A CRM call list: its items are contacts (ENTITY_TYPE 3) or companies (4) with a call status. */
export interface DoubleCallList {
  readonly ID: number;
  readonly ENTITY_TYPE: 'CONTACT' | 'COMPANY';
  readonly items: readonly { readonly ID: number; readonly STATUS: string }[];
}

export interface DoubleLine {
  NUMBER: string;
  NAME: string;
  CRM_AUTO_CREATE: string;
}

/** A comment on a CRM entity's timeline (crm.timeline.comment.add), its files decoded. */
export interface DoubleTimelineComment {
  readonly ENTITY_TYPE: string;
  readonly ENTITY_ID: string;
  readonly COMMENT: string;
  readonly files: readonly { readonly name: string; readonly bytes: Buffer }[];
}

export interface DoubleBinding {
  readonly event: string;
  readonly handler: string;
  readonly auth_type: string;
  readonly offline: number;
}

export interface DoubleNotification {
  readonly id: number;
  readonly USER_ID: string;
  readonly MESSAGE: string;
  readonly TAG: string | null;
  readonly at: number;
}

const PAGE = 50;
const DEDUP_WINDOW_MS = 30 * 60 * 1000;

function err(status: number, error: string, description: string): MethodAnswer {
  return { ok: false, status, error, description };
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function page<T>(rows: readonly T[], startParam: unknown): MethodAnswer {
  const start = Math.max(0, Number.parseInt(str(startParam) || '0', 10) || 0);
  const slice = rows.slice(start, start + PAGE);
  const next = start + PAGE < rows.length ? start + PAGE : undefined;
  return next === undefined ? { ok: true, result: slice, total: rows.length } : { ok: true, result: slice, total: rows.length, next };
}

function truthy(v: unknown): boolean {
  const s = str(v).toLowerCase();
  return s === 'true' || s === 'y' || s === '1';
}

/** The portal the double pretends to be: calls, lines, users, departments, CRM, event bindings. */
export class PortalState {
  readonly calls = new Map<string, DoubleCall>();
  readonly lines = new Map<string, DoubleLine>();
  users: DoubleUser[] = [];
  departments: DoubleDepartment[] = [];
  /** By phone digits. */
  crmEntities = new Map<string, DoubleCrmEntity[]>();
  bindings: DoubleBinding[] = [];
  leads: DoubleLead[] = [];
  readonly timeline: DoubleTimelineComment[] = [];
  deals: DoubleDeal[] = [];
  contacts: DoubleClient[] = [];
  companies: DoubleClient[] = [];
  callLists: DoubleCallList[] = [];
  /** System notifications sent to users (im.notify.system.add), oldest first. */
  readonly notifications: DoubleNotification[] = [];
  private nextNotifyId = 1;
  private nextFileId = 9000;
  private nextLineId = 1;
  private nextStatId = 1;

  constructor(private readonly now: () => number) {}

  dispatch(method: string, p: Record<string, unknown>): MethodAnswer {
    switch (method.toLowerCase()) {
      case 'telephony.externalcall.register': return this.register(p);
      case 'telephony.externalcall.finish': return this.finish(p);
      case 'telephony.externalcall.attachrecord': return this.attachRecord(p);
      case 'telephony.externalcall.hide': return this.showHide(p, true);
      case 'telephony.externalcall.show': return this.showHide(p, false);
      case 'telephony.externalcall.searchcrmentities': return this.searchCrm(p);
      case 'telephony.externalline.add': return this.lineAdd(p);
      case 'telephony.externalline.get': return { ok: true, result: [...this.lines.values()].map((l) => ({ ...l })) };
      case 'telephony.externalline.update': return this.lineUpdate(p);
      case 'telephony.externalline.delete': return this.lineDelete(p);
      case 'crm.timeline.comment.add': return this.timelineComment(p);
      case 'user.get': return this.userGet(p);
      case 'crm.lead.list': return this.crmList(this.leads, p);
      case 'crm.deal.list': return this.crmList(this.deals, p);
      case 'crm.contact.list': return this.crmList(this.contacts, p);
      case 'crm.company.list': return this.crmList(this.companies, p);
      case 'crm.calllist.items.get': return this.callListItems(p);
      case 'department.get': return page(this.departments, p.start);
      case 'event.bind': return this.eventBind(p);
      case 'event.unbind': return this.eventUnbind(p);
      case 'event.get': return { ok: true, result: this.bindings.map((b) => ({ ...b })) };
      case 'im.notify.system.add': return this.notify(p);
      default: return err(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
    }
  }

  private register(p: Record<string, unknown>): MethodAnswer {
    const userId = str(p.USER_ID) || this.userByExtension(str(p.USER_PHONE_INNER))?.ID || '';
    if (!str(p.USER_ID) && !str(p.USER_PHONE_INNER)) return err(400, 'ERROR_CORE', 'USER_ID or USER_PHONE_INNER should be set');
    if (!userId) return err(400, 'ERROR_CORE', 'User is not found or is not active');
    const type = Number(str(p.TYPE));
    if (![1, 2, 3, 4, 5].includes(type)) return err(400, 'ERROR_CORE', 'Unknown TYPE');
    const start = str(p.CALL_START_DATE);
    if (start && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(start)) {
      return err(400, 'ERROR_CORE', 'CALL_START_DATE should be in the ISO-8601 format');
    }
    const phone = str(p.PHONE_NUMBER);
    if (!/^\+?\d{3,20}$/.test(phone)) return err(400, 'ERROR_CORE', 'Unsupported phone number format');
    const external = str(p.EXTERNAL_CALL_ID) || null;
    const line = str(p.LINE_NUMBER);
    const t = this.now();
    // The documented trap: without EXTERNAL_CALL_ID, a second register of the same
    // phone/type/user/line within 30 minutes returns the existing, unfinished call.
    if (external === null) {
      for (const c of this.calls.values()) {
        if (!c.finished && c.EXTERNAL_CALL_ID === null && c.PHONE_NUMBER === phone && c.TYPE === type && c.USER_ID === userId && c.LINE_NUMBER === line && t - c.registeredAt < DEDUP_WINDOW_MS) {
          return { ok: true, result: this.registerAnswer(c, p) };
        }
      }
    }
    const callId = `externalCall.${crypto.randomBytes(16).toString('hex')}.${Math.floor(t / 1000)}`;
    const call: DoubleCall = { CALL_ID: callId, EXTERNAL_CALL_ID: external, USER_ID: userId, PHONE_NUMBER: phone, TYPE: type, LINE_NUMBER: line, registeredAt: t, finished: null, records: [], hidden: false };
    if (str(p.CRM_ENTITY_TYPE) && str(p.CRM_ENTITY_ID)) call.crmEntity = { type: str(p.CRM_ENTITY_TYPE), id: str(p.CRM_ENTITY_ID) };
    this.calls.set(callId, call);
    return { ok: true, result: this.registerAnswer(call, p) };
  }

  private registerAnswer(c: DoubleCall, p: Record<string, unknown>): unknown {
    const entity = this.crmEntities.get(c.PHONE_NUMBER.replace(/\D/g, ''))?.[0];
    return {
      CALL_ID: c.CALL_ID,
      CRM_CREATED_LEAD: null,
      CRM_CREATED_ENTITIES: [],
      CRM_ENTITY_TYPE: entity?.CRM_ENTITY_TYPE ?? (str(p.CRM_ENTITY_TYPE) || null),
      CRM_ENTITY_ID: entity?.CRM_ENTITY_ID ?? (Number(str(p.CRM_ENTITY_ID)) || null),
    };
  }

  /** A call Bitrix24 registered itself (the click-to-call flow: ONEXTERNALCALLSTART carries its CALL_ID). */
  /** A call registered before the double restarted (the demo brings its portal back with its calls). */
  rememberCall(c: Pick<DoubleCall, 'CALL_ID' | 'USER_ID' | 'PHONE_NUMBER' | 'LINE_NUMBER' | 'registeredAt'>): void {
    if (!this.calls.has(c.CALL_ID)) this.calls.set(c.CALL_ID, { ...c, EXTERNAL_CALL_ID: null, TYPE: 1, finished: null, records: [], hidden: false });
  }

  registerClickToCall(userId: string, phone: string, line = ''): DoubleCall {
    const t = this.now();
    const callId = `externalCall.${crypto.randomBytes(16).toString('hex')}.${Math.floor(t / 1000)}`;
    const call: DoubleCall = { CALL_ID: callId, EXTERNAL_CALL_ID: null, USER_ID: userId, PHONE_NUMBER: phone, TYPE: 1, LINE_NUMBER: line, registeredAt: t, finished: null, records: [], hidden: false };
    this.calls.set(callId, call);
    return call;
  }

  private finish(p: Record<string, unknown>): MethodAnswer {
    const callId = p.CALL_ID;
    if (typeof callId !== 'string') return err(400, 'INVALID_ARGUMENT', 'CALL_ID must be a string');
    const call = this.calls.get(callId);
    // A finished call leaves the portal's list of calls in progress: finishing it again is "not found".
    if (!call || call.finished) return err(400, 'ERROR_CORE', 'Call is not found (call should be registered prior to finishing)');
    if (!str(p.USER_ID) && !str(p.USER_PHONE_INNER)) return err(400, 'ERROR_CORE', 'USER_ID or USER_PHONE_INNER should be set');
    const duration = Number(str(p.DURATION) || '0');
    const code = str(p.STATUS_CODE) || (duration > 0 ? '200' : '304');
    call.finished = { ...p };
    return {
      ok: true,
      result: {
        CALL_ID: call.CALL_ID,
        EXTERNAL_CALL_ID: call.EXTERNAL_CALL_ID,
        PORTAL_USER_ID: Number(call.USER_ID),
        PHONE_NUMBER: call.PHONE_NUMBER,
        PORTAL_NUMBER: call.LINE_NUMBER,
        INCOMING: String(call.TYPE),
        CALL_DURATION: duration,
        CALL_START_DATE: {},
        CALL_STATUS: code === '200' ? 1 : 0,
        CALL_VOTE: Number(str(p.VOTE)) || null,
        COST: Number(str(p.COST)) || 0,
        COST_CURRENCY: str(p.COST_CURRENCY),
        CALL_FAILED_CODE: code,
        CALL_FAILED_REASON: str(p.FAILED_REASON),
        REST_APP_ID: '1',
        REST_APP_NAME: 'b24-pbx-connector',
        CRM_ACTIVITY_ID: 7000 + this.nextStatId,
        COMMENT: null,
        CRM_ENTITY_TYPE: 'CONTACT',
        CRM_ENTITY_ID: 797,
        ID: this.nextStatId++,
      },
    };
  }

  /** `fields: { ENTITY_TYPE, ENTITY_ID, COMMENT, FILES: [[name, base64], …] }` (JSON arrays or form-encoded index objects). */
  private timelineComment(p: Record<string, unknown>): MethodAnswer {
    const f = (p.fields ?? {}) as Record<string, unknown>;
    const type = str(f.ENTITY_TYPE).toLowerCase();
    const id = str(f.ENTITY_ID);
    if (!['lead', 'deal', 'contact', 'company'].includes(type) || !/^[1-9]\d*$/.test(id)) return err(400, 'ERROR_ARGUMENT', 'ENTITY_TYPE and ENTITY_ID must name a CRM entity');
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : []);
    const files = list(f.FILES).map((pair) => list(pair)).map(([name, content]) => ({ name: str(name), bytes: Buffer.from(str(content), 'base64') }));
    this.timeline.push({ ENTITY_TYPE: type, ENTITY_ID: id, COMMENT: str(f.COMMENT), files });
    return { ok: true, result: this.timeline.length };
  }

  private attachRecord(p: Record<string, unknown>): MethodAnswer {
    const call = typeof p.CALL_ID === 'string' ? this.calls.get(p.CALL_ID) : undefined;
    if (!call) return err(400, 'ERROR_CORE', 'Call is not found');
    const filename = str(p.FILENAME);
    const url = str(p.RECORD_URL);
    if (!filename && !url) return err(400, 'ERROR_CORE', 'Required parameters are not set. Request should contain either URL or FILENAME parameter');
    const name = filename || url.split('?')[0]?.split('/').pop() || '';
    if (!/\.(wav|mp3)$/i.test(name)) return err(400, 'ERROR_CORE', 'Unsupported file format: only wav and mp3 are allowed');
    const content = str(p.FILE_CONTENT);
    if (content) {
      const fileId = this.nextFileId++;
      call.records = [{ FILE_ID: fileId, FILENAME: name, source: 'content', bytes: Buffer.from(content, 'base64').length }];
      return { ok: true, result: { FILE_ID: fileId } };
    }
    if (url) {
      const fileId = this.nextFileId++;
      call.records = [{ FILE_ID: fileId, FILENAME: name, source: 'url', url }];
      return { ok: true, result: { FILE_ID: fileId } };
    }
    call.records = [{ FILE_ID: 0, FILENAME: name, source: 'upload' }];
    return { ok: true, result: { uploadUrl: `https://portal.invalid/rest/upload.json?token=${crypto.randomBytes(8).toString('hex')}`, fieldName: 'file' } };
  }

  /**
   * crm.lead/deal/contact/company.list: `filter` by equality on top-level fields (`=FIELD` or
   * `FIELD`) or by a list (`@FIELD`: IN), `select` honoured, ID order, pages of 50.
   */
  private crmList(all: readonly object[], p: Record<string, unknown>): MethodAnswer {
    const filter = (typeof p.filter === 'object' && p.filter !== null ? p.filter : {}) as Record<string, unknown>;
    const field = (row: object, k: string): string => str((row as Record<string, unknown>)[k]);
    const rows = all.filter((row) => Object.entries(filter).every(([k, v]) => {
      if (k.startsWith('@')) return Array.isArray(v) && v.map(str).includes(field(row, k.slice(1)));
      return field(row, k.replace(/^=/, '')) === str(v);
    }));
    const select = Array.isArray(p.select) ? p.select.map(str) : null;
    const shown = select === null || select.includes('*')
      ? rows
      : rows.map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => select.includes(k))));
    return page(shown, p.start);
  }

  /** crm.calllist.items.get: LIST_ID required, FILTER.STATUS optional; every item at once (not paged). */
  private callListItems(p: Record<string, unknown>): MethodAnswer {
    const list = this.callLists.find((l) => String(l.ID) === str(p.LIST_ID));
    if (!list) return err(400, 'Incorrect list id', 'An incorrect list identifier was provided.');
    const f = (typeof p.FILTER === 'object' && p.FILTER !== null ? p.FILTER : {}) as Record<string, unknown>;
    const status = str(f.STATUS);
    const entityType = list.ENTITY_TYPE === 'CONTACT' ? 3 : 4;
    const items = list.items.filter((i) => status === '' || i.STATUS === status).map((i) => ({ ID: i.ID, STATUS: i.STATUS, ENTITY_TYPE: entityType }));
    return { ok: true, result: items };
  }

  private showHide(p: Record<string, unknown>, hide: boolean): MethodAnswer {
    const call = typeof p.CALL_ID === 'string' ? this.calls.get(p.CALL_ID) : undefined;
    if (!call) return err(400, 'ERROR_CORE', 'Call is not found');
    call.hidden = hide;
    if (!hide) (call.shownTo ??= []).push(str(p.USER_ID));
    return { ok: true, result: true };
  }

  private searchCrm(p: Record<string, unknown>): MethodAnswer {
    const phone = str(p.PHONE_NUMBER);
    if (!phone) return err(400, 'ERROR_CORE', 'PHONE_NUMBER is empty');
    const rows = this.crmEntities.get(phone.replace(/\D/g, '')) ?? [];
    return {
      ok: true,
      result: rows.map((e) => {
        const user = this.users.find((u) => u.ID === String(e.ASSIGNED_BY_ID));
        return {
          ...e,
          ASSIGNED_BY: {
            ID: String(e.ASSIGNED_BY_ID), TIMEMAN_STATUS: user?.TIMEMAN_STATUS ?? 'OPENED', USER_PHONE_INNER: user?.UF_PHONE_INNER ?? null,
            WORK_PHONE: user?.WORK_PHONE ?? null, PERSONAL_PHONE: null, PERSONAL_MOBILE: user?.PERSONAL_MOBILE ?? null,
          },
        };
      }),
    };
  }

  private lineAdd(p: Record<string, unknown>): MethodAnswer {
    const number = str(p.NUMBER);
    if (!number) return err(400, 'ERROR_CORE', 'NUMBER is empty');
    if (this.lines.has(number)) return err(400, 'ERROR_CORE', 'Line already exists');
    this.lines.set(number, { NUMBER: number, NAME: str(p.NAME) || number, CRM_AUTO_CREATE: str(p.CRM_AUTO_CREATE) || 'Y' });
    return { ok: true, result: { ID: this.nextLineId++ } };
  }

  private lineUpdate(p: Record<string, unknown>): MethodAnswer {
    const line = this.lines.get(str(p.NUMBER));
    if (!line) return err(400, 'ERROR_CORE', 'Line is not found');
    if (str(p.NAME)) line.NAME = str(p.NAME);
    if (str(p.CRM_AUTO_CREATE)) line.CRM_AUTO_CREATE = str(p.CRM_AUTO_CREATE);
    return { ok: true, result: { ID: 1 } };
  }

  private lineDelete(p: Record<string, unknown>): MethodAnswer {
    if (!this.lines.delete(str(p.NUMBER))) return err(400, 'ERROR_CORE', 'Line is not found');
    return { ok: true, result: true };
  }

  private userByExtension(ext: string): DoubleUser | undefined {
    return ext ? this.users.find((u) => (u.UF_PHONE_INNER ?? '') === ext) : undefined;
  }

  private userGet(p: Record<string, unknown>): MethodAnswer {
    const filter = (typeof p.FILTER === 'object' && p.FILTER !== null ? p.FILTER : typeof p.filter === 'object' && p.filter !== null ? p.filter : {}) as Record<string, unknown>;
    let rows = this.users;
    if (filter.ACTIVE !== undefined) rows = rows.filter((u) => (u.ACTIVE ?? true) === truthy(filter.ACTIVE));
    if (filter.ID !== undefined) rows = rows.filter((u) => u.ID === str(filter.ID));
    if (filter.UF_PHONE_INNER !== undefined) rows = rows.filter((u) => (u.UF_PHONE_INNER ?? '') === str(filter.UF_PHONE_INNER));
    if (filter.USER_TYPE !== undefined) rows = rows.filter((u) => (u.USER_TYPE ?? 'employee') === str(filter.USER_TYPE));
    return page(rows.map((u) => ({ ACTIVE: true, USER_TYPE: 'employee', UF_DEPARTMENT: [], ...u })), p.start);
  }

  private notify(p: Record<string, unknown>): MethodAnswer {
    const userId = str(p.USER_ID);
    const message = str(p.MESSAGE);
    if (!userId) return err(400, 'USER_ID_EMPTY', 'Recipient user ID not specified');
    if (!message) return err(400, 'MESSAGE_EMPTY', 'Message text not specified');
    const id = this.nextNotifyId++;
    this.notifications.push({ id, USER_ID: userId, MESSAGE: message, TAG: str(p.TAG) || null, at: this.now() });
    return { ok: true, result: id };
  }

  private eventBind(p: Record<string, unknown>): MethodAnswer {
    const event = str(p.event).toUpperCase();
    const handler = str(p.handler);
    if (!event || !handler) return err(400, 'ERROR_CORE', 'Event name and handler are required');
    if (this.bindings.some((b) => b.event === event && b.handler === handler)) return err(400, 'ERROR_CORE', 'Handler already binded');
    this.bindings.push({ event, handler, auth_type: str(p.auth_type) || '0', offline: str(p.event_type) === 'offline' ? 1 : 0 });
    return { ok: true, result: true };
  }

  private eventUnbind(p: Record<string, unknown>): MethodAnswer {
    const event = str(p.event).toUpperCase();
    const handler = str(p.handler);
    const before = this.bindings.length;
    this.bindings = this.bindings.filter((b) => !(b.event === event && (!handler || b.handler === handler)));
    return { ok: true, result: { count: before - this.bindings.length } };
  }
}
