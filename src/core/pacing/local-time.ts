import { civilFromDays, dayNumber } from '../time/civil-days.ts';

/**
 * Wall-clock parts of an instant in an IANA timezone (Intl: computation, not I/O). Formatters are
 * cached per zone: building one costs far more than using it.
 */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  /** Minutes after local midnight. */
  readonly minutes: number;
  /** 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Whether Intl knows this zone (checked when a campaign is saved, not on the hot path). */
export function isKnownTimezone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

/** Local wall time by Intl (slow: a formatter call); used once per zone and hour, see localTime. */
function intlLocalTime(at: number, timezone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timezone).formatToParts(at)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 1,
  };
}

// A zone's UTC offset, by zone and UTC hour: offsets change only on the hour (DST, law changes),
// so one Intl call per zone and hour is enough and the rest is arithmetic.
const offsets = new Map<string, number>();
const MINUTE = 60_000;

function offsetMinutes(at: number, timezone: string): number {
  const hour = Math.floor(at / 3_600_000);
  const key = `${timezone}|${hour}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const probe = hour * 3_600_000;
    const local = intlLocalTime(probe, timezone);
    offset = dayNumber(local.year, local.month, local.day) * 1440 + local.minutes - Math.floor(probe / MINUTE);
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

export function localTime(at: number, timezone: string): LocalTime {
  const localMinutes = Math.floor(at / MINUTE) + offsetMinutes(at, timezone);
  const days = Math.floor(localMinutes / 1440);
  const { year, month, day } = civilFromDays(days);
  return { year, month, day, minutes: localMinutes - days * 1440, weekday: ((((days % 7) + 7) % 7) + 3) % 7 + 1 };
}
