import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import { DialerInputError, type CrmLeadSource, type CrmNumberRow, type CrmSourceQuery } from '../app/dialer/campaigns.ts';

type Row = Readonly<Record<string, unknown>>;

/** Bitrix24 list methods answer 50 rows a page; `@ID` filters are sent in chunks of that size. */
const PAGE = 50;
/** CRM entity type ids of call-list items (crm.calllist.items.get ENTITY_TYPE). */
const CALL_LIST_ENTITY: Readonly<Record<string, 'CONTACT' | 'COMPANY'>> = { 3: 'CONTACT', 4: 'COMPANY' };

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : typeof v === 'number' ? String(v) : null;
}

function phonesOf(r: Row): string[] {
  const list = Array.isArray(r.PHONE) ? (r.PHONE as { VALUE?: unknown }[]) : [];
  return list.map((p) => (typeof p.VALUE === 'string' ? p.VALUE : '')).filter((v) => v !== '');
}

function nameOf(r: Row): string | null {
  const name = [text(r.NAME), text(r.LAST_NAME)].filter((v) => v !== null).join(' ');
  return name !== '' ? name : text(r.TITLE);
}

async function call(gw: B24Gateway, method: string, params: Record<string, unknown>): Promise<{ rows: Row[]; more: boolean }> {
  const res = await gw.call(method, params);
  if (!res.ok) {
    const why = `${method}: ${res.error.code}: ${res.error.description}`;
    // A 4xx is the CRM refusing what the admin asked for (an unknown call list, a bad filter field).
    if (res.error.status >= 400 && res.error.status < 500) throw new DialerInputError(why);
    throw new Error(why);
  }
  return { rows: (Array.isArray(res.result) ? res.result : []) as Row[], more: res.more === true };
}

/** Every page of a list method. */
async function listAll(gw: B24Gateway, method: string, params: Record<string, unknown>): Promise<Row[]> {
  const out: Row[] = [];
  for (let start = 0; ; ) {
    const { rows, more } = await call(gw, method, { ...params, order: { ID: 'ASC' }, start });
    out.push(...rows);
    if (!more || rows.length === 0) return out;
    start += rows.length;
  }
}

/** Contacts or companies by id, with their phones (crm.contact.list / crm.company.list, `@ID`). */
async function byIds(gw: B24Gateway, type: 'CONTACT' | 'COMPANY', ids: readonly string[]): Promise<Map<string, Row>> {
  const method = type === 'CONTACT' ? 'crm.contact.list' : 'crm.company.list';
  const select = type === 'CONTACT' ? ['ID', 'NAME', 'LAST_NAME', 'PHONE'] : ['ID', 'TITLE', 'PHONE'];
  const out = new Map<string, Row>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += PAGE) {
    for (const r of await listAll(gw, method, { filter: { '@ID': unique.slice(i, i + PAGE) }, select })) out.set(String(r.ID), r);
  }
  return out;
}

async function leads(gw: B24Gateway, filter: Readonly<Record<string, string>>): Promise<CrmNumberRow[]> {
  const rows = await listAll(gw, 'crm.lead.list', { filter, select: ['ID', 'TITLE', 'PHONE'] });
  return rows.map((r) => ({ ref: `lead ${String(r.ID)}`, entityType: 'LEAD', entityId: String(r.ID), title: text(r.TITLE), phones: phonesOf(r) }));
}

/**
 * A deal has no phone of its own: it is called on its contact's phone (else its company's), and
 * the card is registered with that contact or company (the CRM shows the call on the deal too).
 */
async function deals(gw: B24Gateway, filter: Readonly<Record<string, string>>): Promise<CrmNumberRow[]> {
  const rows = await listAll(gw, 'crm.deal.list', { filter, select: ['ID', 'TITLE', 'CONTACT_ID', 'COMPANY_ID'] });
  const positive = (v: unknown): string | null => (text(v) !== null && text(v) !== '0' ? text(v) : null);
  const contacts = await byIds(gw, 'CONTACT', rows.map((r) => positive(r.CONTACT_ID)).filter((v): v is string => v !== null));
  const companies = await byIds(gw, 'COMPANY', rows.map((r) => positive(r.COMPANY_ID)).filter((v): v is string => v !== null));
  return rows.map((r) => {
    const contact = contacts.get(positive(r.CONTACT_ID) ?? '');
    const company = companies.get(positive(r.COMPANY_ID) ?? '');
    const who = contact && phonesOf(contact).length > 0 ? { type: 'CONTACT', row: contact } : company ? { type: 'COMPANY', row: company } : contact ? { type: 'CONTACT', row: contact } : null;
    return {
      ref: `deal ${String(r.ID)}`, entityType: who?.type ?? null, entityId: who ? String(who.row.ID) : null,
      title: text(r.TITLE), phones: who ? phonesOf(who.row) : [],
    };
  });
}

/** A call list's contacts or companies (crm.calllist.items.get), then their phones. */
async function callList(gw: B24Gateway, listId: number, status: string | undefined): Promise<CrmNumberRow[]> {
  const { rows } = await call(gw, 'crm.calllist.items.get', { LIST_ID: listId, ...(status !== undefined ? { FILTER: { STATUS: status } } : {}) });
  const items = rows.map((r) => ({ id: String(r.ID), type: CALL_LIST_ENTITY[String(r.ENTITY_TYPE)] ?? null }));
  const contacts = await byIds(gw, 'CONTACT', items.filter((i) => i.type === 'CONTACT').map((i) => i.id));
  const companies = await byIds(gw, 'COMPANY', items.filter((i) => i.type === 'COMPANY').map((i) => i.id));
  return items.map((i) => {
    const row = i.type === 'CONTACT' ? contacts.get(i.id) : i.type === 'COMPANY' ? companies.get(i.id) : undefined;
    return {
      ref: `call list ${listId} ${i.type?.toLowerCase() ?? 'item'} ${i.id}`, entityType: i.type, entityId: i.id,
      title: row ? nameOf(row) : null, phones: row ? phonesOf(row) : [],
    };
  });
}

/** Bitrix24 as a source of numbers: leads or deals by a filter, or a CRM call list. */
export function bitrix24LeadSource(gateway: () => B24Gateway | null): CrmLeadSource {
  return {
    async list(query: CrmSourceQuery) {
      const gw = gateway();
      if (!gw) throw new Error('the Bitrix24 app is not installed: no numbers can be read from the CRM');
      if (query.kind === 'leads') return leads(gw, query.filter);
      if (query.kind === 'deals') return deals(gw, query.filter);
      return callList(gw, query.listId, query.status);
    },
  };
}
