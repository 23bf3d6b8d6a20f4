import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCliArgs, USAGE, type CliOptions, type Vendor } from './args.js';
import { createClock, type SimClock } from './clock.js';
import type { Faults } from './faults.js';
import { startPrefectSim } from './prefect/server.js';
import { startSecureSim } from './secure/server.js';

interface Running {
  vendor: Vendor;
  url: string;
  sites: string[];
  credentials: Record<string, object>;
  faults: Faults;
  close(): Promise<void>;
}

async function start(vendor: Vendor, port: number, clock: SimClock, o: CliOptions): Promise<Running> {
  const common = {
    host: o.host,
    port,
    sites: o.sites,
    nodes: o.nodes,
    seed: o.seed,
    clock,
    historyDays: o.historyDays,
    pollIntervalS: o.pollIntervalS,
    faults: o.faults,
    recordSamples: o.recordSamples,
  };
  const sim =
    vendor === 'prefect'
      ? await startPrefectSim({
          ...common,
          reportIntervalS: o.reportIntervalS,
          dropoutRate: o.dropoutRate,
          overrideRate: o.overrideRate,
        })
      : await startSecureSim({ ...common, sessionTtlS: o.sessionTtlS, maxClockSkewS: o.maxClockSkewS });
  for (const [site, node] of o.removeNodes) sim.faults.removeNode(site, node);
  for (const [site, settings] of Object.entries(o.gatewayFaults)) sim.faults.set(site, settings);
  return { vendor, ...sim };
}

/** The gateway name EP is told, and the secret file's name: `<prefix><site lower-case>`. */
function gatewayName(o: CliOptions, vendor: Vendor, site: string): string {
  return `${o.secretsPrefix ?? `${vendor}-`}${site.toLowerCase()}`;
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const o = options;
  // One clock for both vendors, so a demo's two clouds agree on "now".
  const clock = createClock({ start: o.start, rate: o.rate });
  const sims: Running[] = [];
  try {
    if (o.vendor === 'both') {
      sims.push(await start('prefect', o.port, clock, o));
      sims.push(await start('secure', o.port === 0 ? 0 : o.port + 1, clock, o));
    } else {
      sims.push(await start(o.vendor, o.port, clock, o));
    }
  } catch (err) {
    await Promise.all(sims.map((s) => s.close()));
    throw err;
  }
  for (const sim of sims) {
    if (o.secretsDir) {
      await mkdir(o.secretsDir, { recursive: true });
      for (const [site, secret] of Object.entries(sim.credentials)) {
        const file = join(o.secretsDir, gatewayName(o, sim.vendor, site));
        await writeFile(file, `${JSON.stringify(secret)}\n`, { mode: 0o600 });
        await chmod(file, 0o600);
      }
    }
    console.log(
      JSON.stringify({
        vendor: sim.vendor,
        url: sim.url,
        sites: sim.sites,
        secretsDir: o.secretsDir ?? null,
      }),
    );
  }
  if (o.printEpCommands) {
    const sites = new Set(sims.flatMap((s) => s.sites.map((x) => x.toLowerCase())));
    for (const site of sites) console.log(`pnpm ep sites add ${site} --tz Europe/London`);
    for (const sim of sims) {
      for (const site of sim.sites) {
        console.log(
          `pnpm ep gateways add ${gatewayName(o, sim.vendor, site)} --site ${site.toLowerCase()} --vendor ${sim.vendor} --url ${sim.url} --interval ${o.pollIntervalS}`,
        );
      }
    }
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await Promise.all(sims.map((s) => s.close()));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`gateway-sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
