import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCliArgs, USAGE } from './args.js';
import { createClock } from './clock.js';
import { startPrefectSim } from './prefect/server.js';
import { startSecureSim } from './secure/server.js';

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
  const common = {
    host: options.host,
    port: options.port,
    sites: options.sites,
    nodes: options.nodes,
    seed: options.seed,
    clock: createClock({ start: options.start, rate: options.rate }),
    historyDays: options.historyDays,
    pollIntervalS: options.pollIntervalS,
    faults: options.faults,
    recordSamples: options.recordSamples,
  };
  const sim =
    options.vendor === 'prefect'
      ? await startPrefectSim({
          ...common,
          reportIntervalS: options.reportIntervalS,
          dropoutRate: options.dropoutRate,
          overrideRate: options.overrideRate,
        })
      : await startSecureSim({
          ...common,
          sessionTtlS: options.sessionTtlS,
          maxClockSkewS: options.maxClockSkewS,
        });
  for (const [site, node] of options.removeNodes) sim.faults.removeNode(site, node);
  for (const [site, settings] of Object.entries(options.gatewayFaults)) sim.faults.set(site, settings);
  if (options.secretsDir) {
    await mkdir(options.secretsDir, { recursive: true });
    for (const [site, secret] of Object.entries(sim.credentials)) {
      const file = join(options.secretsDir, `${options.secretsPrefix}${site.toLowerCase()}`);
      await writeFile(file, `${JSON.stringify(secret)}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
    }
  }
  console.log(
    JSON.stringify({
      vendor: options.vendor,
      url: sim.url,
      sites: sim.sites,
      secretsDir: options.secretsDir ?? null,
    }),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`gateway-sim: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
