import { createDb } from '@ep/db';
import { VENDORS, type Database, type Vendor } from '@ep/schema';

type GatewayDatabase = Pick<Database, 'gateways' | 'gateway_status' | 'sites'>;
import type { Kysely } from 'kysely';
import { parseArgs } from 'node:util';

/**
 * `ep gateways add|list|remove`: heating gateways are configuration, not code. Credentials are
 * not taken here: they go in the file `<name>` of EP_GATEWAY_SECRETS_DIR.
 */
export const GATEWAYS_USAGE = `  gateways add <name> --site <site> --vendor prefect|secure --url <base URL> [--interval 300] [--backfill-days 30]
                                            poll a heating gateway; its secret is the file <name> in the poller's
                                            EP_GATEWAY_SECRETS_DIR: Prefect {"token": "…"}, Secure {"email": "…", "password": "…"}
  gateways list                             list gateways with their last poll, success and error
  gateways remove <name>                    stop polling a gateway (its stored data stays)`;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export interface GatewaysIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

class Usage extends Error {}

/** Runs `ep gateways …` (argv after `gateways`); returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runGatewaysCli(argv: string[], io: GatewaysIo): Promise<number> {
  let db: Kysely<GatewayDatabase> | undefined;
  const open = () =>
    (db ??= createDb<GatewayDatabase>({
      url: io.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/ep',
      max: 1,
      applicationName: 'ep-cli',
    }));
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        site: { type: 'string' },
        vendor: { type: 'string' },
        url: { type: 'string' },
        interval: { type: 'string' },
        'backfill-days': { type: 'string' },
      },
    });
    const [sub, name, extra] = positionals;
    if (extra !== undefined) throw new Usage(`unexpected argument "${extra}"`);
    switch (sub) {
      case 'add': {
        if (!name)
          throw new Usage('gateways add needs a name, e.g. gateways add badock-prefect --site badock …');
        if (!NAME.test(name))
          throw new Usage(`gateway name "${name}" must be 1–63 lowercase letters, digits, _ or -`);
        if (!values.site) throw new Usage('gateways add needs --site <site key>');
        const vendor = values.vendor as Vendor | undefined;
        if (!vendor || !VENDORS.includes(vendor))
          throw new Usage(
            `gateways add needs --vendor ${VENDORS.join('|')}${values.vendor ? `, not "${values.vendor}"` : ''}`,
          );
        if (!values.url || !/^https?:\/\//.test(values.url))
          throw new Usage(
            'gateways add needs --url <base URL>, e.g. --url https://pre2000.co.uk/apiv1/SiteApi/',
          );
        const interval = whole(values.interval ?? '300', '--interval', 1);
        const backfill = whole(values['backfill-days'] ?? '30', '--backfill-days', 0);
        const site = await open()
          .selectFrom('sites')
          .select('id')
          .where('key', '=', values.site)
          .executeTakeFirst();
        if (!site) {
          io.err(
            `error: unknown site "${values.site}"; add it with \`pnpm ep sites add ${values.site} --tz <IANA zone>\``,
          );
          return 1;
        }
        const clash = await open()
          .selectFrom('gateways')
          .select('name')
          .where((eb) =>
            eb.or([eb('name', '=', name), eb.and([eb('site_id', '=', site.id), eb('vendor', '=', vendor)])]),
          )
          .executeTakeFirst();
        if (clash) {
          io.err(
            clash.name === name
              ? `error: gateway "${name}" exists already; nothing changed`
              : `error: site ${values.site} has a ${vendor} gateway already ("${clash.name}"); one per site and vendor`,
          );
          return 1;
        }
        await open()
          .insertInto('gateways')
          .values({
            name,
            site_id: site.id,
            vendor,
            base_url: values.url,
            interval_seconds: interval,
            backfill_days: backfill,
          })
          .execute();
        io.out(
          `gateway ${name} added (${vendor}, site ${values.site}, every ${interval} s, backfill ${backfill} days); ` +
            `put its secret in the file ${name} of EP_GATEWAY_SECRETS_DIR`,
        );
        return 0;
      }
      case 'list': {
        if (name !== undefined) throw new Usage(`unexpected argument "${name}"`);
        const rows = await open()
          .selectFrom('gateways as g')
          .innerJoin('sites as s', 's.id', 'g.site_id')
          .leftJoin('gateway_status as st', 'st.gateway_id', 'g.id')
          .select([
            'g.name',
            's.key as site',
            'g.vendor',
            'g.base_url as url',
            'g.interval_seconds as interval',
            'g.backfill_days as backfill_days',
            'st.owner',
            'st.last_success_at as last_success',
            'st.last_error_kind as last_error',
          ])
          .orderBy('g.name')
          .execute();
        const columns = [
          'name',
          'site',
          'vendor',
          'url',
          'interval',
          'backfill_days',
          'owner',
          'last_success',
          'last_error',
        ];
        const cell = (v: unknown) =>
          v instanceof Date ? v.toISOString() : v === null || v === undefined ? '-' : String(v);
        const widths = columns.map((c) =>
          Math.max(c.length, ...rows.map((r) => cell((r as Record<string, unknown>)[c]).length)),
        );
        const line = (cells: string[]) =>
          cells
            .map((v, i) => v.padEnd(widths[i]!))
            .join('  ')
            .trimEnd();
        io.out(line(columns));
        for (const r of rows) io.out(line(columns.map((c) => cell((r as Record<string, unknown>)[c]))));
        return 0;
      }
      case 'remove': {
        if (!name) throw new Usage('gateways remove needs a gateway name (see `pnpm ep gateways list`)');
        const removed = await open().deleteFrom('gateways').where('name', '=', name).executeTakeFirst();
        if (Number(removed.numDeletedRows) === 0) {
          io.err(`error: no gateway named "${name}"`);
          return 1;
        }
        io.out(`gateway ${name} removed; its stored data and cursors stay`);
        return 0;
      }
      default:
        throw new Usage(sub ? `unknown command "gateways ${sub}"` : 'gateways needs add, list or remove');
    }
  } catch (err) {
    if (err instanceof Usage || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${(err as Error).message}`);
      io.err('Run `pnpm ep --help` for usage.');
      return 2;
    }
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await db?.destroy();
  }
}

function whole(text: string, option: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Usage(`${option} must be a whole number ≥ ${min}, not "${text}"`);
  return n;
}
