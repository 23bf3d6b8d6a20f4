import { parseTapArgs, USAGE } from './args.js';
import { startTap } from './tap.js';

async function main(): Promise<number> {
  let options;
  try {
    options = parseTapArgs(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const tap = await startTap(options, (message) => console.log(JSON.stringify(message)));
  console.error(
    `amqp-tap: queue "${tap.queue}" bound to exchange "${options.exchange}"; waiting for messages`,
  );
  const stop = () => void tap.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await tap.done;
  await tap.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`amqp-tap: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
