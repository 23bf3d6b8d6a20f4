import { formatUtc } from '@ep/contracts';
import {
  applyMetadataCsv,
  editPoint,
  listPointEdits,
  MetadataFileError,
  parsePointChanges,
  PointEditError,
} from '@ep/points';
import type { Database } from '@ep/schema';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { commandDb } from './db.js';

// `pnpm ep points …`: describing points from the command line, through the same use case as
// query-api's PATCH /api/v1/points/{id} and metadata CSV (@ep/points). Changes are recorded as
// made by `cli:<user>` (USER, else the OS account).

export const POINTS_USAGE = `  points set <id> [--unit <u>] [--description <text>] [--display-name <name>]
                 [--kind sampled|state|counter|event] [--interval <seconds>] [--states '{"0":"OFF","1":"ON"}']
                                            describe a point (kept across later uploads unless a file states
                                            the field explicitly), e.g. points set 86 --unit kWh --kind counter
  points edits <id>                         list who changed what on a point, and when
  points import <file.csv>                  describe many points from a CSV: point_id (or site,name), then any of
                                            unit,description,display_name,kind,interval_seconds,states`;

interface Io {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class Usage extends Error {}

function pointId(value: string | undefined, command: string): number {
  if (!value || !/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > 2_147_483_647)
    throw new Usage(`points ${command} needs a point id (a positive integer), e.g. points ${command} 86`);
  return Number(value);
}

/** Runs `points <sub> …`; returns the exit code (0 done, 1 failed or refused, 2 usage). */
export async function runPoints(argv: string[], io: Io): Promise<number> {
  const { open, close } = commandDb<Database>(io.env);
  const by = `cli:${io.env['USER'] || userInfo().username}`;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        unit: { type: 'string' },
        description: { type: 'string' },
        'display-name': { type: 'string' },
        kind: { type: 'string' },
        interval: { type: 'string' },
        states: { type: 'string' },
      },
    });
    const [sub, arg, extra] = positionals;
    if (extra !== undefined) throw new Usage(`unexpected argument "${extra}"`);
    switch (sub) {
      case 'set': {
        const id = pointId(arg, 'set');
        let changes;
        try {
          changes = parsePointChanges({
            unit: values.unit,
            description: values.description,
            display_name: values['display-name'],
            kind: values.kind,
            interval_seconds: values.interval,
            states: values.states,
          });
        } catch (err) {
          if (!(err instanceof PointEditError)) throw err;
          const option =
            { display_name: 'display-name', interval_seconds: 'interval', body: 'options' }[err.field] ??
            err.field;
          throw new Usage(err.message.replace(/^[^:]+:/, `--${option}:`).replace(/^--options: /, ''));
        }
        const done = await editPoint(open(), id, changes, by);
        if (!done) {
          io.err(`error: no point with id ${id} (see GET /api/v1/points)`);
          return EXIT.failed;
        }
        if (done.edits.length === 0) io.out(`point ${id}: nothing changed (the values were already so)`);
        for (const e of done.edits)
          io.out(`point ${id}: ${e.field} ${JSON.stringify(e.old)} → ${JSON.stringify(e.new)}`);
        return EXIT.ok;
      }
      case 'edits': {
        const id = pointId(arg, 'edits');
        const edits = await listPointEdits(open(), id);
        if (edits.length === 0) io.out(`point ${id}: no edits`);
        for (const e of edits)
          io.out(
            `${formatUtc(e.at)}  ${e.by}  ${e.field}  ${JSON.stringify(e.old)} → ${JSON.stringify(e.new)}`,
          );
        return EXIT.ok;
      }
      case 'import': {
        if (!arg) throw new Usage('points import needs a CSV file, e.g. points import units.csv');
        const text = await readFile(arg, 'utf8');
        let lines;
        try {
          lines = await applyMetadataCsv(open(), text, by);
        } catch (err) {
          if (!(err instanceof MetadataFileError)) throw err;
          io.err(`error: ${arg}: ${err.message}`);
          return EXIT.failed;
        }
        for (const l of lines)
          if (l.status === 'applied')
            io.out(
              `line ${l.line}: point ${l.pointId} ${l.changed.length ? l.changed.join(', ') : 'unchanged'}`,
            );
          else io.err(`line ${l.line}: refused: ${l.error}`);
        const refused = lines.filter((l) => l.status === 'refused').length;
        io.out(`${lines.length - refused} lines applied, ${refused} refused`);
        return refused > 0 ? EXIT.failed : EXIT.ok;
      }
      default:
        throw new Usage(
          sub ? `unknown command "points ${sub}"` : 'points needs a command: set, edits or import',
        );
    }
  } catch (err) {
    if (err instanceof Usage || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${(err as Error).message}`);
      io.err('Run `pnpm ep --help` for usage.');
      return EXIT.usage;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.failed;
  } finally {
    await close();
  }
}
