import { addGateway, GATEWAY_NAME, GatewayConfigError, listGatewayStatus, removeGateway } from '@ep/gateways';
import { VENDORS, type Database, type Vendor } from '@ep/schema';
import { parseArgs } from 'node:util';
import { commandDb } from './db.js';
import { table } from './table.js';

/**
 * `ep gateways add|list|remove`: heating gateways are configuration, not code. Credentials are
 * not taken here: they go in the file `<name>` of EP_GATEWAY_SECRETS_DIR.
 */
export const GATEWAYS_USAGE = `  gateways add <name> --site <site> --vendor prefect|secure --url <base URL> [--interval 300] [--backfill-days 30]
                                            poll a heating gateway; its secret is the file <name> in the poller's
                                            EP_GATEWAY_SECRETS_DIR: Prefect {"token": "…"}, Secure {"email": "…", "password": "…"}
  gateways list                             list gateways with their last poll, success and error
  gateways remove <name>                    stop polling a gateway (its stored data stays)`;

type GatewayDatabase = Pick<Database, 'gateways' | 'gateway_status' | 'sites'>;

export interface GatewaysIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

class Usage extends Error {}

/** Runs `ep gateways …` (argv after `gateways`); returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runGatewaysCli(argv: string[], io: GatewaysIo): Promise<number> {
  const { open, close } = commandDb<GatewayDatabase>(io.env);
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
        if (!GATEWAY_NAME.test(name))
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
        try {
          await addGateway(open(), {
            name,
            site: values.site,
            vendor,
            url: values.url,
            intervalSeconds: interval,
            backfillDays: backfill,
          });
        } catch (err) {
          if (!(err instanceof GatewayConfigError)) throw err;
          io.err(
            err.reason === 'unknown_site'
              ? `error: unknown site "${values.site}"; add it with \`pnpm ep sites add ${values.site} --tz <IANA zone>\``
              : `error: ${err.message}; nothing changed`,
          );
          return 1;
        }
        io.out(
          `gateway ${name} added (${vendor}, site ${values.site}, every ${interval} s, backfill ${backfill} days); ` +
            `put its secret in the file ${name} of EP_GATEWAY_SECRETS_DIR`,
        );
        return 0;
      }
      case 'list': {
        if (name !== undefined) throw new Usage(`unexpected argument "${name}"`);
        const rows = (await listGatewayStatus(open())).map((g) => ({
          name: g.name,
          site: g.site,
          vendor: g.vendor,
          url: g.url,
          interval: g.intervalSeconds,
          backfill_days: g.backfillDays,
          owner: g.owner,
          last_success: g.lastSuccessAt,
          last_error: g.lastError?.kind,
        }));
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
        for (const line of table(rows, columns)) io.out(line);
        return 0;
      }
      case 'remove': {
        if (!name) throw new Usage('gateways remove needs a gateway name (see `pnpm ep gateways list`)');
        if (!(await removeGateway(open(), name))) {
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
    await close();
  }
}

function whole(text: string, option: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new Usage(`${option} must be a whole number ≥ ${min}, not "${text}"`);
  return n;
}
