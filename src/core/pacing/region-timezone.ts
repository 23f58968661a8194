/**
 * The IANA timezone of a Russian region as the numbering plan names it (Россвязь's free-text
 * "Регион", spelled several ways). Matched by word stems, first match wins: the order keeps
 * "Томская" from matching "омск" and "Ямало-Ненецкий" from matching a European stem. A region
 * not listed here is on Moscow time; an unknown region gives null (the campaign's fallback).
 */
const STEMS: readonly (readonly [string, string])[] = [
  ['калининград', 'Europe/Kaliningrad'],
  ['самар', 'Europe/Samara'],
  ['удмурт', 'Europe/Samara'],
  ['ульянов', 'Europe/Ulyanovsk'],
  ['астрахан', 'Europe/Astrakhan'],
  ['саратов', 'Europe/Saratov'],
  ['ямало', 'Asia/Yekaterinburg'],
  ['ханты', 'Asia/Yekaterinburg'],
  ['свердлов', 'Asia/Yekaterinburg'],
  ['челяб', 'Asia/Yekaterinburg'],
  ['курган', 'Asia/Yekaterinburg'],
  ['тюмен', 'Asia/Yekaterinburg'],
  ['перм', 'Asia/Yekaterinburg'],
  ['оренбург', 'Asia/Yekaterinburg'],
  ['башкор', 'Asia/Yekaterinburg'],
  ['томск', 'Asia/Tomsk'],
  ['омск', 'Asia/Omsk'],
  ['новосиб', 'Asia/Novosibirsk'],
  ['алтай', 'Asia/Barnaul'],
  ['кемеров', 'Asia/Novokuznetsk'],
  ['красноярск', 'Asia/Krasnoyarsk'],
  ['тыва', 'Asia/Krasnoyarsk'],
  ['хакас', 'Asia/Krasnoyarsk'],
  ['иркут', 'Asia/Irkutsk'],
  ['бурят', 'Asia/Irkutsk'],
  ['забайкал', 'Asia/Chita'],
  ['якут', 'Asia/Yakutsk'],
  ['амурск', 'Asia/Yakutsk'],
  ['примор', 'Asia/Vladivostok'],
  ['хабаровск', 'Asia/Vladivostok'],
  ['еврейск', 'Asia/Vladivostok'],
  ['сахалин', 'Asia/Sakhalin'],
  ['магадан', 'Asia/Magadan'],
  ['камчат', 'Asia/Kamchatka'],
  ['чукот', 'Asia/Kamchatka'],
];

const cache = new Map<string, string | null>();

export function timezoneOfRegion(region: string | null): string | null {
  if (region === null) return null;
  const cached = cache.get(region);
  if (cached !== undefined) return cached;
  const text = region.toLowerCase();
  let tz: string | null = null;
  if (/[а-яё]/.test(text) && !/российская федерация/.test(text)) {
    tz = STEMS.find(([stem]) => text.includes(stem))?.[1] ?? 'Europe/Moscow';
  }
  if (cache.size < 1000) cache.set(region, tz);
  return tz;
}
