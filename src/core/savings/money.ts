/**
 * Money as integers: a unit is a ten-thousandth of a rouble, so per-second prices of kopeck
 * tariffs add up without floating-point drift. Figures leave the core in roubles only at the edge.
 */
export const UNITS_PER_RUB = 10_000;

/** A per-minute price in roubles (as written in the rules) → units per minute. */
export function unitsPerMinute(perMinute: number): number {
  return Math.round(perMinute * UNITS_PER_RUB);
}

/**
 * "Minute-units": price in units per minute × billed seconds. Sums of these stay exact integers;
 * dividing by 60 (and rounding) happens once, when a figure is shown.
 */
export function minuteUnits(perMinute: number, billedSec: number): number {
  return unitsPerMinute(perMinute) * billedSec;
}

/** Minute-units → units, rounded half up. */
export function unitsOf(minuteUnitsTotal: number): number {
  return Math.round(minuteUnitsTotal / 60);
}

/** The cost of one call in units. */
export function costUnits(perMinute: number, billedSec: number): number {
  return unitsOf(minuteUnits(perMinute, billedSec));
}

/** Units → roubles as a number (exact to the unit). */
export function rub(units: number): number {
  return units / UNITS_PER_RUB;
}

/** `1 290.50` style with two decimals, for the text report. */
export function formatRub(units: number): string {
  const value = Math.round(units / 100) / 100;
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).replace(/,/g, ' ');
}
