/**
 * A small declared-schema kit for untrusted JSON (run files and stored run records): each schema both
 * checks a value and states its TypeScript type (`Infer<typeof schema>`), so the checks and the type cannot
 * drift apart. Objects are strict: a key the schema does not declare is refused by name, never dropped, and
 * the output is a fresh object holding only declared keys (a `__proto__` key in the input is refused like
 * any other unknown key).
 *
 * Hand-written rather than valibot: the record needs two things a generic library makes roundabout — the
 * settings are checked by the form's own `validateTrainSettings` against a sibling field (the data set's
 * size), and failures must become `PersistenceError`s with one sentence for the user, some with another
 * code ('incompatible', 'corrupt'). Doing that through valibot's issue objects would take about as much
 * code as this module, plus a dependency in the worker bundle.
 */

/** Where in the value a check failed: keys and list indices from the root. */
export type SchemaPath = readonly (string | number)[];

/** A value that does not fit its schema: where, and why in words ("should be …"). */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';

  constructor(
    readonly path: SchemaPath,
    readonly why: string,
  ) {
    super(`${describePath(path)} ${why}`);
  }
}

/** Checks an untrusted value and returns a clean copy of the declared type, or throws a SchemaError. */
export interface Schema<T> {
  parse(value: unknown, path: SchemaPath): T;
  /** true when the key may be absent from its object (the schema then sees `undefined`) */
  readonly optional?: boolean;
}

/** The type a schema produces. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** `'history[3].trainLoss'` for ['history', 2, 'trainLoss'] (lists counted from 1, as people do); `it` for the root. */
export function describePath(path: SchemaPath): string {
  if (path.length === 0) return 'it';
  const text = path.map((part, i) => (typeof part === 'number' ? `[${part + 1}]` : i === 0 ? part : `.${part}`)).join('');
  return `'${text}'`;
}

const fail = (path: SchemaPath, why: string): never => {
  throw new SchemaError(path, why);
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const formatNumber = (n: number) => (Number.isInteger(n) && Math.abs(n) >= 10_000 ? n.toLocaleString('en') : String(n));

/** A whole number in [min, max]. */
export function integer(min: number, max: number): Schema<number> {
  return {
    parse: (value, path) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        fail(path, `should be a whole number from ${formatNumber(min)} to ${formatNumber(max)}`);
      }
      return value as number;
    },
  };
}

/** A finite number in [min, max] (Infinity, which JSON writes as 1e999, is refused). */
export function finite(min: number, max = Number.MAX_VALUE): Schema<number> {
  return {
    parse: (value, path) => {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        fail(path, max === Number.MAX_VALUE ? `should be a finite number ≥ ${min}` : `should be a finite number from ${min} to ${max}`);
      }
      return value as number;
    },
  };
}

/**
 * A loss: a finite number ≥ 0 (mean squared errors and cross-entropies are never negative), or NaN for a
 * diverged run's loss — JSON carries NaN as null, IndexedDB as NaN. Infinity is refused: no loss we record
 * is infinite, and it would come back as null (NaN) from the next export.
 */
export const loss: Schema<number> = {
  parse: (value, path) => {
    if (value === null || (typeof value === 'number' && Number.isNaN(value))) return Number.NaN;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, 'should be a finite number ≥ 0, or null for a diverged loss');
    return value as number;
  },
};

/** Text of at most `max` characters, optionally matching `pattern` (described as `what`). */
export function text(max: number, pattern?: { test: RegExp; what: string }): Schema<string> {
  return {
    parse: (value, path) => {
      if (typeof value !== 'string' || value.length > max) return fail(path, `should be text of at most ${max} characters`);
      if (pattern && !pattern.test.test(value)) fail(path, `should be ${pattern.what}`);
      return value;
    },
  };
}

/** A date as `Date.parse` reads it (we write ISO 8601). */
export const date: Schema<string> = {
  parse: (value, path) => {
    const checked = text(40).parse(value, path);
    if (Number.isNaN(Date.parse(checked))) fail(path, 'should be a date');
    return checked;
  },
};

export const boolean: Schema<boolean> = {
  parse: (value, path) => (typeof value === 'boolean' ? value : fail(path, 'should be true or false')),
};

/** One of a few strings. */
export function oneOf<const T extends string>(values: readonly T[]): Schema<T> {
  return {
    parse: (value, path) => values.find((v) => v === value) ?? fail(path, `should be one of ${values.join(', ')}`),
  };
}

/** The value, or null. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return { parse: (value, path) => (value === null ? null : inner.parse(value, path)) };
}

/** A key that older writers left out: absent reads as `fallback`; present, it must fit `inner`. */
export function absentAs<T>(inner: Schema<T>, fallback: T): Schema<T> {
  return { optional: true, parse: (value, path) => (value === undefined ? fallback : inner.parse(value, path)) };
}

/** A key that may be absent (then `undefined`, and absent from the output too). */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> & { readonly optional: true } {
  return { optional: true, parse: (value, path) => (value === undefined ? undefined : inner.parse(value, path)) };
}

/** A list of at most `max` items, each fitting `item`. */
export function list<T>(item: Schema<T>, max: number, what = 'items'): Schema<T[]> {
  return {
    parse: (value, path) => {
      if (!Array.isArray(value) || value.length > max) return fail(path, `should be a list of at most ${max.toLocaleString('en')} ${what}`);
      return value.map((entry, i) => item.parse(entry, [...path, i]));
    },
  };
}

type Shape = Record<string, Schema<unknown>>;

/** Keys whose schema is optional may be absent; the rest are required. */
type ObjectOf<S extends Shape> = { [K in keyof S as S[K] extends { optional: true } ? never : K]: Infer<S[K]> } & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: Infer<S[K]>;
};
type Flatten<T> = { [K in keyof T]: T[K] };

/** Message of an unknown key: names it, and where it is. */
export function unknownKeyWhy(key: string): string {
  return `has a field ${JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}…` : key)} this playground does not know (it reads only the fields it writes)`;
}

/**
 * An object with exactly the declared keys: an undeclared key is refused by name, a missing required one
 * as "is missing". Keys are checked in the declared order, unknown keys first.
 */
export function strictObject<S extends Shape>(shape: S, what = 'an object'): Schema<Flatten<ObjectOf<S>>> {
  const known = new Set(Object.keys(shape));
  return {
    parse: (value, path) => {
      if (!isPlainObject(value)) return fail(path, `should be ${what}`);
      for (const key of Object.keys(value)) if (!known.has(key)) fail(path, unknownKeyWhy(key));
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const has = Object.prototype.hasOwnProperty.call(value, key);
        if (!has && !schema.optional) fail([...path, key], 'is missing');
        const parsed = schema.parse(has ? value[key] : undefined, [...path, key]);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as Flatten<ObjectOf<S>>;
    },
  };
}

/** Any value, unchecked here (a later step of a `refine` checks it). */
export const unchecked: Schema<unknown> = { parse: (value) => value };

/** Checks with `inner`, then turns or cross-checks the result (may throw SchemaError or PersistenceError). */
export function refine<A, B>(inner: Schema<A>, then: (value: A, path: SchemaPath) => B): Schema<B> {
  return { optional: inner.optional, parse: (value, path) => then(inner.parse(value, path), path) };
}

/** Checks a root value; SchemaErrors become whatever `wrap` makes of them. */
export function parseWith<T>(schema: Schema<T>, value: unknown, wrap: (error: SchemaError) => Error): T {
  try {
    return schema.parse(value, []);
  } catch (error) {
    throw error instanceof SchemaError ? wrap(error) : error;
  }
}
