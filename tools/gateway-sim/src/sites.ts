/** Site names the simulators use, upper-case as Prefect writes them in paths. */
const NAMES = [
  'BADOCK',
  'GOLDNEY',
  'HIATT',
  'CHURCHILL',
  'WILLS',
  'MANOR',
  'CLIFTON',
  'DURDHAM',
  'STOKE',
  'WESTBURY',
];

/** `count` distinct site names: the ten above, then `SITE011`, `SITE012`… */
export function siteNames(count: number): string[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`sites must be a whole number ≥ 1, got ${count}`);
  return Array.from({ length: count }, (_, i) => NAMES[i] ?? `SITE${String(i + 1).padStart(3, '0')}`);
}
