import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { quoteBounded } from '../text/printable.ts';

/** A phone number the routing core accepts: E.164 digits with and without the plus. */
export interface PhoneNumber {
  /** `+79261234567` */
  readonly e164: string;
  /** `79261234567`: the E.164 digits, the form every index and mask works on. */
  readonly digits: string;
  /** ISO 3166 alpha-2 of the number's country (`RU`, `KZ`, `IN`…), or `ZZ` when unknown. */
  readonly country: string;
}

export type NormalizeResult =
  | { readonly ok: true; readonly number: PhoneNumber }
  | { readonly ok: false; readonly code: 'INVALID_NUMBER'; readonly message: string };

export interface NormalizeOptions {
  /**
   * Country assumed for national input (`8…`, a bare 10-digit number). `RU` for desk phones and the
   * CLI; leave unset for Bitrix24 events, which carry PHONE_NUMBER_INTERNATIONAL (DECISIONS §1–2).
   */
  readonly defaultCountry?: CountryCode;
}

const SEPARATORS = /[\s()\-.\u00a0]/g;
// +7 3xx/4xx/8xx/9xx is Russia; +7 6xx/7xx is Kazakhstan (left to the library).
const RUSSIAN_E164 = /^7[3489]\d{9}$/;

function invalid(input: string, why: string): NormalizeResult {
  // Quoted short and escaped: the message reaches the CRM, logs and terminals.
  return { ok: false, code: 'INVALID_NUMBER', message: `invalid phone number ${quoteBounded(input)}: ${why}` };
}

/**
 * Normalises what a person typed or a system sent (`8 (926) 123-45-67`, `+7 926 123 45 67`,
 * `79261234567`, `9261234567`, `+44 20 7946 0958`, `8 10 44 20 7946 0958`) to E.164.
 * Russian numbers take a fast path (the routing hot path sees them most); everything else is
 * validated by libphonenumber-js.
 */
export function normalizePhone(input: string, options: NormalizeOptions = {}): NormalizeResult {
  const raw = input.trim();
  if (raw === '') return invalid(input, 'empty');
  const compact = raw.replace(SEPARATORS, '');
  if (!/^\+?\d+$/.test(compact)) return invalid(input, 'only digits, spaces, brackets, dashes and a leading + are allowed');

  let digits: string;
  if (compact.startsWith('+')) digits = compact.slice(1);
  else if (compact.startsWith('00')) digits = compact.slice(2);
  else if (options.defaultCountry === 'RU' && compact.length === 11 && compact.startsWith('8')) digits = `7${compact.slice(1)}`;
  // 8-10 is the Russian international prefix (`8 10 44 20 7946 0958`); no national number is longer than 11 digits.
  else if (options.defaultCountry === 'RU' && compact.length > 11 && compact.startsWith('810')) digits = compact.slice(3);
  else if (options.defaultCountry === 'RU' && compact.length === 10) digits = `7${compact}`;
  else if (options.defaultCountry === 'RU' && compact.length === 11 && compact.startsWith('7')) digits = compact;
  else if (options.defaultCountry && options.defaultCountry !== 'RU') {
    const parsed = parsePhoneNumberFromString(compact, options.defaultCountry);
    if (!parsed || !parsed.isValid()) return invalid(input, `not a valid number for ${options.defaultCountry}`);
    digits = parsed.number.slice(1);
  } else digits = compact;

  if (RUSSIAN_E164.test(digits)) return { ok: true, number: { e164: `+${digits}`, digits, country: 'RU' } };
  if (digits.length > 15) return invalid(input, `${digits.length} digits: longer than E.164 allows (15)`);
  if (digits.length < 8) return invalid(input, `an international number has 8 to 15 digits, got ${digits.length}`);
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (!parsed || !parsed.isValid()) return invalid(input, 'not a valid international number');
  return { ok: true, number: { e164: parsed.number, digits: parsed.number.slice(1), country: parsed.country ?? 'ZZ' } };
}
