/**
 * The shared shape of an options module's limits and of its `validate()` answer, and the one check of a
 * numeric field against its limit. Pure: the options modules (kmeans-options.ts, tsne-options.ts) build
 * on it, and the forms only display what it returns.
 */

/** An inclusive range for one numeric option, with what a person is told when a value falls outside it. */
export interface NumberLimit {
  /** The field's name as the form shows it; messages start with it ("Perplexity must be …"). */
  readonly label: string;
  /** Smallest allowed value (inclusive). */
  readonly min: number;
  /** Largest allowed value (inclusive). */
  readonly max: number;
  /** Whether only whole numbers make sense (counts, iterations, seeds). */
  readonly integer: boolean;
  /** Why nothing below `min` is allowed; ends the message for a value that is too small. */
  readonly belowMin: string;
  /** Why nothing above `max` is allowed; ends the message for a value that is too large. */
  readonly aboveMax: string;
}

/** Messages by field; only fields that failed are present. */
export type FieldErrors<T> = Partial<Record<keyof T, string>>;

/** What a `validate()` returns: the complete, checked value, or at least one message per failing field. */
export type Validation<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors<T> };

/** Largest seed: the generators (mulberry32) take 32-bit unsigned seeds. */
export const MAX_SEED = 2 ** 32 - 1;

/** A number as a person reads it: thousands separated, no exponent for the ranges used here. */
export function formatNumber(value: number): string {
  return value.toLocaleString('en', { maximumFractionDigits: 6 });
}

/** "between 2 and 100" or "a whole number from 1 to 50": the allowed range in words. */
export function rangeText(limit: NumberLimit, max = limit.max): string {
  return limit.integer
    ? `a whole number from ${formatNumber(limit.min)} to ${formatNumber(max)}`
    : `between ${formatNumber(limit.min)} and ${formatNumber(max)}`;
}

/**
 * Checks one field's value against its limit.
 * @param value anything; strings are refused (the forms convert their text to numbers first, so a string
 *   here means a caller forgot to), except that an empty string is reported as an empty field
 * @returns null when `value` is a number within the limit, else the message for a person
 */
export function checkNumber(value: unknown, limit: NumberLimit): string | null {
  const range = rangeText(limit);
  if (value === '') return `${limit.label} is empty: enter ${range}.`;
  if (typeof value === 'string') return `${limit.label} must be a number, not the text “${value.length > 20 ? `${value.slice(0, 20)}…` : value}”; enter ${range}.`;
  if (typeof value !== 'number' || Number.isNaN(value)) return `${limit.label} is not a number: enter ${range}.`;
  if (value < limit.min) return `${limit.label} must be ${range}: ${limit.belowMin}.`;
  if (value > limit.max) return `${limit.label} must be ${range}: ${limit.aboveMax}.`;
  if (limit.integer && !Number.isInteger(value)) return `${limit.label} must be a whole number; ${String(value)} is not.`;
  return null;
}

/** True when `value` is a number inside `limit` (what `checkNumber` accepts). */
export function withinLimit(value: number, limit: NumberLimit): boolean {
  return checkNumber(value, limit) === null;
}

/** The object's own fields when `input` is a plain object; anything else (null, an array, a number) reads as no fields. */
export function asRecord(input: unknown): Readonly<Record<string, unknown>> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/**
 * A form field's text as `validate()` input: the number it spells, or '' when the field is blank (so the
 * message can say the field is empty). Text that is not a number becomes NaN and is refused as such.
 */
export function numberFromText(text: string): number | '' {
  return text.trim() === '' ? '' : Number(text);
}
