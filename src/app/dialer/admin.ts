import type { DncEntry } from '../../core/pacing/dnc.ts';
import { normalizePhone } from '../../core/phone/normalize.ts';
import { DialerInputError } from './campaigns.ts';
import type { Operator } from './model.ts';
import type { DncStore, OperatorStore } from './ports.ts';

/** A do-not-call entry from what an admin typed: a number in any usual form, or a prefix of digits. */
export function dncEntryOf(text: string, kind: DncEntry['kind'], defaultCountry: string): DncEntry {
  if (kind === 'prefix') {
    const digits = text.trim().replace(/^\+/, '');
    if (!/^\d{1,15}$/.test(digits)) throw new DialerInputError(`prefix "${text.slice(0, 40)}" must be 1-15 digits (E.164, country code first)`);
    return { digits, kind };
  }
  const parsed = normalizePhone(text, { defaultCountry: defaultCountry as 'RU' });
  if (!parsed.ok) throw new DialerInputError(`do-not-call number: ${parsed.message}`);
  return { digits: parsed.number.digits, kind };
}

/**
 * Adds numbers and prefixes to the list; every entry is checked first, so a bad one changes
 * nothing. Returns how many were new.
 */
export async function addToDnc(store: DncStore, input: { readonly numbers?: readonly string[]; readonly prefixes?: readonly string[]; readonly note?: string | null }, defaultCountry: string, at: number): Promise<number> {
  const entries = [
    ...(input.numbers ?? []).map((n) => dncEntryOf(n, 'number', defaultCountry)),
    ...(input.prefixes ?? []).map((p) => dncEntryOf(p, 'prefix', defaultCountry)),
  ];
  return store.addDnc(entries.map((e) => ({ ...e, note: input.note ?? null })), at);
}

const DEVICE = /^[^\s,()"]{1,255}$/;

/** An operator's phone as the PBX knows it; the state device defaults to the dialled device. */
export async function saveOperator(store: OperatorStore, input: { readonly id: string; readonly name?: string | null; readonly dial: string; readonly stateDevice?: string | null }, at: number): Promise<Pick<Operator, 'id' | 'dial' | 'stateDevice'>> {
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(input.id)) throw new DialerInputError(`operator id "${input.id.slice(0, 40)}" is not a Bitrix24 user id`);
  if (!/^[^/\s]+\/\S+$/.test(input.dial) || !DEVICE.test(input.dial)) throw new DialerInputError(`dial "${input.dial.slice(0, 60)}" is not an Asterisk Tech/resource (e.g. PJSIP/101)`);
  const stateDevice = input.stateDevice ?? input.dial.split('@')[0] ?? input.dial;
  if (!DEVICE.test(stateDevice)) throw new DialerInputError(`state device "${stateDevice.slice(0, 60)}" is not an Asterisk device (e.g. PJSIP/101 or Custom:op101)`);
  const op = { id: input.id, name: input.name ?? null, dial: input.dial, stateDevice };
  await store.saveOperator(op, at);
  return op;
}

export async function setOperatorOnline(store: OperatorStore, id: string, online: boolean, at: number): Promise<void> {
  if (!(await store.setOnline(id, online, online ? null : 'went off line', at))) throw new DialerInputError(`no operator "${id.slice(0, 64)}" (add it first)`);
}
