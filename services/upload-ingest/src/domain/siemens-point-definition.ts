import { splitCsvLine, trimTrailingEmpty } from './csv.js';
import type { Line } from './lines.js';
import type { ParseContext, ParseEvent, PointInfo } from './model.js';
import { siemensPath } from './names.js';
import { isFooter } from './siemens-trend.js';

const TEXT_TABLE_ROW = /^\s*(-?\d+)\s*-\s*(.*?)\s*$/;

interface Block {
  line: number;
  name: string;
  fields: Map<string, string[]>;
  states?: Record<string, string>;
}

function toPoint(block: Block): PointInfo {
  const get = (label: string) => block.fields.get(label)?.[0]?.trim() || undefined;
  const info: PointInfo = { ...siemensPath(block.name), name: block.name };
  const unit = get('Engineering Units');
  if (unit) info.unit = unit;
  const description = get('Descriptor');
  if (description) info.description = description;
  if (block.states && Object.keys(block.states).length > 0) {
    info.kind = 'state';
    info.states = block.states;
  } else if (/^L?A/i.test(get('Point Type') ?? '')) {
    info.kind = 'sampled';
  }
  // Everything else the report says (type, panel, address, slope…) is kept for operators.
  const meta: Record<string, unknown> = {};
  for (const [label, values] of block.fields) {
    if (label === 'Engineering Units' || label === 'Descriptor' || label === 'Point System Name') continue;
    const cleaned = values.map((v) => v.trim()).filter(Boolean);
    if (cleaned.length > 0) meta[label] = cleaned.length === 1 ? cleaned[0] : cleaned;
  }
  if (Object.keys(meta).length > 0) info.meta = meta;
  // A definition report is the point's own description: whatever it states is explicit and
  // replaces a person's edit (a trend report's kind and interval are not; see the store).
  const explicit = (['unit', 'kind', 'states', 'description'] as const).filter((f) => info[f] !== undefined);
  if (explicit.length > 0) info.explicit = explicit;
  return info;
}

/**
 * Reads a Siemens Insight Point Definition report: blocks starting at `"Point System Name:"`,
 * lines of `"Label:","value"[,"Label:","value"]`, and text tables (`"Text Table:","Default LDO"`
 * followed by `"  0 - OFF"` lines). Each block becomes a metadata-only point.
 */
export async function* parseSiemensPointDefinition(
  lines: AsyncIterable<Line>,
  ctx: ParseContext,
): AsyncGenerator<ParseEvent> {
  let block: Block | undefined;
  let inTextTable = false;
  let nextId = 0;
  const seen = new Map<string, number>();
  const finish = function* (): Generator<ParseEvent> {
    if (!block) return;
    const key = block.name;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      ctx.issues.add(
        block.line,
        2,
        `point ${key} is defined again (first at line ${earlier}); the later definition is used`,
      );
    } else seen.set(key, block.line);
    yield { type: 'point', id: nextId++, point: toPoint(block) };
    block = undefined;
  };

  for await (const line of lines) {
    if (isFooter(line.text) || /^[\s"]*\*{10,}/.test(line.text)) {
      yield* finish();
      inTextTable = false;
      if (isFooter(line.text)) return;
      continue;
    }
    const split = splitCsvLine(line.text, ctx.delimiter);
    if (split.error) {
      ctx.issues.add(line.number, split.error.column, split.error.reason);
      continue;
    }
    const fields = trimTrailingEmpty(split.fields);
    if (fields.length === 0) continue;
    const label = fields[0]!.trim().replace(/:$/, '');
    if (label === 'Point System Name') {
      yield* finish();
      const name = (fields[1] ?? '').trim();
      inTextTable = false;
      if (!name) {
        ctx.issues.add(line.number, 2, 'Point System Name is empty; block skipped');
        continue;
      }
      block = { line: line.number, name, fields: new Map() };
      continue;
    }
    if (!block) continue;
    const row = fields.length === 1 ? TEXT_TABLE_ROW.exec(fields[0]!) : null;
    if (row && inTextTable) {
      block.states ??= {};
      block.states[row[1]!] = row[2]!;
      continue;
    }
    inTextTable = label === 'Text Table';
    // Some lines carry two pairs ("Slope:","1.0","Intercept:","0.0"): a field ending in ':'
    // after the first starts a new label; other fields are values of the current one.
    let current = label;
    block.fields.set(current, []);
    for (const field of fields.slice(1)) {
      if (/:$/.test(field.trim())) {
        current = field.trim().replace(/:$/, '');
        block.fields.set(current, []);
      } else block.fields.get(current)!.push(field);
    }
  }
  yield* finish();
}
