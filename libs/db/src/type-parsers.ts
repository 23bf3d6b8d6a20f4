import pg from 'pg';

// PostgreSQL type OIDs (pg_type.oid); stable across server versions.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;

/**
 * int8 (bigint, and what `count(*)` / `sum(int)` return) as a JS number. pg's default is a string
 * because int8 can exceed 2^53, but our int8 values are ids, counts and byte sizes, all far below
 * Number.MAX_SAFE_INTEGER (9.0e15); a number keeps arithmetic and JSON output free of surprises.
 * A value that would lose precision fails the query instead of coming back silently rounded.
 */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} exceeds Number.MAX_SAFE_INTEGER; select it as ::text instead`);
  }
  return value;
}

/**
 * numeric as a JS number. Our numeric columns hold measured values and aggregates of them, which
 * started life as doubles; 15–17 significant digits is more than any meter delivers.
 * 'NaN' and '±Infinity' (PostgreSQL ≥ 14) map to their JS counterparts.
 */
function parseNumeric(text: string): number {
  return Number(text);
}

/**
 * date as the 'YYYY-MM-DD' string it is. pg's default turns it into a Date at *local* midnight of
 * the process, which shifts the day for anyone reading it in another zone — a daily rollup's
 * calendar day belongs to the site, not to the server.
 */
function parseDate(text: string): string {
  return text;
}

const overrides = new Map<number, (text: string) => unknown>([
  [INT8, parseInt8],
  [NUMERIC, parseNumeric],
  [DATE, parseDate],
]);

/**
 * The type parsers of every pool made by createDb. They are passed per pool (pg's `types` option)
 * rather than set on the global `pg.types`, so they are defined once, here, without changing what
 * other pg users in the same process (test helpers, COPY streams on their own clients) receive.
 * timestamptz keeps pg's default: a Date, which is an absolute instant.
 */
export const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    const override = format === 'binary' ? undefined : overrides.get(oid);
    return override ?? pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig['getTypeParser'],
};
