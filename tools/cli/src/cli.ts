import { table } from './table.js';
import {
  apiKeyPrefix,
  generateApiKey,
  hashApiKey,
  insertApiKey,
  listApiKeys,
  parseScopes,
  revokeApiKey,
} from '@ep/auth';
import { runTeststandsCli, TESTSTANDS_USAGE } from './teststands.js';
import { migrateToLatest } from '@ep/schema';
import type { Kysely } from 'kysely';
import { parseArgs } from 'node:util';
import { GATEWAYS_USAGE, runGatewaysCli } from './gateways.js';
import { commandDb, databaseKnowsZone, type CliTables, findSite, insertSite, listSites } from './db.js';
import { POINTS_USAGE, runPoints } from './points.js';

/** Exit codes: 0 done, 1 failed (database, not found, conflict), 2 usage (bad command or arguments). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface CliIo {
  /** The variables the CLI reads: DATABASE_URL, EP_BOOTSTRAP_ADMIN_KEY. */
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
}

export const USAGE = `Usage: pnpm ep <command> [options]

Commands:
  migrate                                   apply pending schema migrations (safe to run concurrently);
                                            stores EP_BOOTSTRAP_ADMIN_KEY, when set, as the admin key "bootstrap"
  sites add <key> --tz <IANA zone> [--name <name>]
                                            add a site, e.g. sites add carleton --tz America/Chicago --name "Carleton College"
  sites list                                list sites
  sites zones                               list the time zones --tz accepts
  keys create --name <name> --scopes <a,b> [--site <key>]
                                            create an API key and print its secret (shown once only)
  keys list                                 list API keys (never their secrets)
  keys revoke <id>                          revoke an API key
  keys generate                             print a new key without storing it (for EP_BOOTSTRAP_ADMIN_KEY)
${GATEWAYS_USAGE}
${POINTS_USAGE}
${TESTSTANDS_USAGE}

Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ep), EP_BOOTSTRAP_ADMIN_KEY.
Exit codes: 0 done, 1 failed, 2 bad command or arguments.`;

/** A usage problem: printed with a hint, exit code 2. */
class UsageError extends Error {}
/** A failure the operator can act on: printed as is, exit code 1. */
class Failure extends Error {}

const SITE_KEY = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The IANA zone's canonical spelling (Intl validates it and fixes its case), or undefined for
 * anything else; UTC offsets such as +01:00 are refused, having no DST rules of a place.
 */
export function canonicalZone(zone: string): string | undefined {
  if (!/^[A-Za-z]/.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'gateways') return runGatewaysCli(argv.slice(1), io);
  if (argv[0] === 'points' && !argv.includes('--help') && !argv.includes('-h'))
    return runPoints(argv.slice(1), io);
  if (argv[0] === 'teststands') return runTeststandsCli(argv.slice(1), io);
  const { open, close } = commandDb<CliTables>(io.env, 2);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        tz: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string' },
        site: { type: 'string' },
      },
    });
    const [command, sub, ...rest] = positionals;
    if (values.help || command === 'help') {
      io.out(USAGE);
      return EXIT.ok;
    }
    const noMore = (allowed: number) => {
      if (rest.length > allowed) throw new UsageError(`unexpected argument "${rest[allowed]}"`);
    };
    switch (`${command ?? ''} ${command === 'migrate' ? '' : (sub ?? '')}`.trim()) {
      case 'migrate': {
        if (sub !== undefined) throw new UsageError(`unexpected argument "${sub}"`);
        await runMigrate(open(), io);
        return EXIT.ok;
      }
      case 'sites add': {
        noMore(1);
        const key = rest[0];
        if (!key)
          throw new UsageError('sites add needs a site key, e.g. sites add carleton --tz America/Chicago');
        if (!SITE_KEY.test(key)) {
          throw new UsageError(
            `site key "${key}" must be 1–63 lowercase letters, digits, _ or -, starting with a letter or digit`,
          );
        }
        if (!values.tz) throw new UsageError('sites add needs --tz <IANA zone>, e.g. --tz America/Chicago');
        const zone = canonicalZone(values.tz);
        if (!zone) {
          throw new UsageError(
            `unknown time zone "${values.tz}"; allowed: IANA zone names such as America/Chicago, Europe/London or UTC ` +
              '(`pnpm ep sites zones` lists them all)',
          );
        }
        if (!(await databaseKnowsZone(open(), zone))) {
          throw new Failure(
            `PostgreSQL does not know the time zone "${zone}" (pg_timezone_names); update its tzdata`,
          );
        }
        const site = await insertSite(open(), { key, name: values.name ?? key, timezone: zone });
        if (!site) {
          const existing = await findSite(open(), key);
          throw new Failure(
            `site "${key}" exists already (time zone ${existing?.timezone ?? '?'}); nothing changed`,
          );
        }
        io.out(`site ${site.key} added (id ${site.id}, time zone ${site.timezone}, name "${site.name}")`);
        return EXIT.ok;
      }
      case 'sites list': {
        noMore(0);
        const sites = await listSites(open());
        for (const line of table(sites as unknown as Record<string, unknown>[], [
          'id',
          'key',
          'name',
          'timezone',
          'created_at',
        ]))
          io.out(line);
        return EXIT.ok;
      }
      case 'sites zones': {
        noMore(0);
        for (const zone of Intl.supportedValuesOf('timeZone')) io.out(zone);
        return EXIT.ok;
      }
      case 'keys create': {
        noMore(0);
        if (!values.name) throw new UsageError('keys create needs --name <name>, e.g. --name dashboard');
        if (values.scopes === undefined)
          throw new UsageError('keys create needs --scopes <a,b>, e.g. --scopes read');
        let scopes: string[];
        try {
          scopes = parseScopes(values.scopes);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        let siteId: number | null = null;
        if (values.site !== undefined) {
          const site = await findSite(open(), values.site);
          if (!site)
            throw new Failure(
              `unknown site "${values.site}"; add it with \`pnpm ep sites add ${values.site} --tz <IANA zone>\``,
            );
          siteId = site.id;
        }
        const key = generateApiKey();
        const row = await insertApiKey(open(), {
          name: values.name,
          prefix: key.prefix,
          hash: key.hash,
          scopes,
          siteId,
        });
        if (!row) throw new Failure('key prefix collision (1 in 10^12); run the command again');
        io.out(
          `key ${row.id} "${values.name}" created with scopes ${scopes.join(',')}${values.site ? ` for site ${values.site}` : ''}.`,
        );
        io.out('Secret (shown only now, store it safely):');
        io.out(key.secret);
        return EXIT.ok;
      }
      case 'keys list': {
        noMore(0);
        const keys = await listApiKeys(open());
        for (const line of table(keys as unknown as Record<string, unknown>[], [
          'id',
          'name',
          'prefix',
          'scopes',
          'site',
          'created_at',
          'revoked_at',
        ]))
          io.out(line);
        return EXIT.ok;
      }
      case 'keys revoke': {
        noMore(1);
        const id = Number(rest[0]);
        if (!rest[0] || !Number.isInteger(id) || id <= 0)
          throw new UsageError('keys revoke needs a key id (see `pnpm ep keys list`)');
        const revoked = await revokeApiKey(open(), id);
        if (!revoked) throw new Failure(`no key with id ${id}`);
        io.out(revoked.wasRevoked ? `key ${id} was already revoked` : `key ${id} revoked`);
        return EXIT.ok;
      }
      case 'keys generate': {
        noMore(0);
        io.out(generateApiKey().secret);
        return EXIT.ok;
      }
      default:
        throw new UsageError(
          command ? `unknown command "${[command, sub].filter(Boolean).join(' ')}"` : 'no command given',
        );
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
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

async function runMigrate(db: Kysely<CliTables>, io: CliIo): Promise<void> {
  const result = await migrateToLatest(db);
  for (const name of result.applied) io.out(`applied ${name}`);
  io.out(`schema up to date (${result.applied.length} applied now, ${result.alreadyApplied} before)`);
  const bootstrap = io.env['EP_BOOTSTRAP_ADMIN_KEY'];
  if (!bootstrap) return;
  const prefix = apiKeyPrefix(bootstrap);
  if (!prefix) {
    throw new Failure(
      'EP_BOOTSTRAP_ADMIN_KEY is not an EP key (ep_<8 chars>_<32 chars>, lowercase base32); make one with `pnpm ep keys generate`',
    );
  }
  // ON CONFLICT on the prefix: concurrent or repeated migrations store it once.
  const row = await insertApiKey(db, {
    name: 'bootstrap',
    prefix,
    hash: hashApiKey(bootstrap),
    scopes: ['admin'],
    siteId: null,
  });
  io.out(
    row
      ? `bootstrap admin key stored (id ${row.id}, prefix ${prefix})`
      : `bootstrap admin key already stored (prefix ${prefix})`,
  );
}
