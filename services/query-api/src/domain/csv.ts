/** One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. Null/undefined is empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(fields: readonly unknown[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

/** A file name safe inside a Content-Disposition header. */
export function attachment(filename: string): string {
  return `attachment; filename="${filename.replace(/[^A-Za-z0-9._-]+/g, '_')}"`;
}

/**
 * A test stand data package ({ column: values[] }) as CSV: one column per key, one row per index;
 * shorter columns leave empty cells.
 */
export function dataPackageCsv(data: Record<string, unknown[]>): string {
  const columns = Object.keys(data);
  const rows = Math.max(0, ...columns.map((c) => data[c]?.length ?? 0));
  let out = csvLine(columns);
  for (let i = 0; i < rows; i++) out += csvLine(columns.map((c) => data[c]?.[i]));
  return out;
}
