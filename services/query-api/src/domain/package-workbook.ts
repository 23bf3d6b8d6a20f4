import { formatUtc } from '@ep/contracts';
import ExcelJS from 'exceljs';

/** A data or result package: its parameters and data series (PROTOCOL.md). */
export interface DataPackage {
  stand: string;
  module: string;
  kind: string;
  receivedAt: Date;
  parameters: Record<string, unknown>;
  data: Record<string, unknown[]>;
}

/** A cell value Excel shows as such: numbers, text, booleans; anything else as its JSON. */
function cell(value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

/**
 * The package as the legacy web interface exported it: a "Parameters" sheet (name, value, one
 * row per parameter) and a "Data" sheet with one column per data series, one row per index.
 */
export async function packageWorkbook(pkg: DataPackage): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'EP';
  workbook.created = pkg.receivedAt;
  const parameters = workbook.addWorksheet('Parameters');
  parameters.addRow(['Parameter', 'Value']);
  for (const [name, value] of Object.entries(pkg.parameters)) parameters.addRow([name, cell(value)]);
  parameters.getRow(1).font = { bold: true };
  const data = workbook.addWorksheet('Data');
  const columns = Object.keys(pkg.data);
  data.addRow(columns);
  data.getRow(1).font = { bold: true };
  const rows = Math.max(0, ...columns.map((c) => pkg.data[c]?.length ?? 0));
  for (let i = 0; i < rows; i++) data.addRow(columns.map((c) => cell(pkg.data[c]?.[i])));
  const info = workbook.addWorksheet('Message');
  info.addRows([
    ['Stand', pkg.stand],
    ['Module', pkg.module],
    ['Kind', pkg.kind],
    ['Received at (UTC)', formatUtc(pkg.receivedAt)],
  ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
