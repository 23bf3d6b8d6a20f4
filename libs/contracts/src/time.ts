/**
 * The one way EP writes an instant for people and clients (API answers, CLI output, files in
 * UTC): ISO-8601 in UTC with "Z", milliseconds only when not zero — "2017-12-26T06:00:00Z",
 * "2017-12-26T06:00:00.250Z" — as PostgreSQL prints the samples.
 */
export function formatUtc(at: Date | number): string {
  const iso = new Date(at).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}
