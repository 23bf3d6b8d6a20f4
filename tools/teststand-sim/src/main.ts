import { parseArgs } from 'node:util';
import { burst, createStandSim } from './sim.js';
import { MALFORMED_KINDS, type MalformedKind } from './messages.js';

const USAGE = `teststand-sim: simulated MQTT test stands

  pnpm --filter @ep/teststand-sim run sim -- [options]

  --url <mqtt url>        broker (default $MQTT_URL or mqtt://127.0.0.1:1883)
  --username <u> --password <p>   broker credentials (default $MQTT_USERNAME / $MQTT_PASSWORD)
  --stands <n>            stands teststand1…teststandN (default 1), or --stand <name> for one
  --module <name>         module of their topics (default demo_module)
  --status-every <s>      send status 200 every s seconds (default 10; 0 = never)
  --data-every <s>        also send a data message every s seconds, parameterObj {seq, sentAt}
                          (default 0 = only in answer to a start command)
  --burst <n>             instead: publish n data messages at QoS 1 and exit
  --publishers <n>        publishers of the burst (default 4)
  --malformed <kind>      instead: send one malformed message and exit (${MALFORMED_KINDS.join(', ')})

Stands answer a "start" command with status 202, send a data package after parameterObj.wait
seconds, then status 200.`;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    stands: { type: 'string', default: '1' },
    stand: { type: 'string' },
    module: { type: 'string', default: 'demo_module' },
    'status-every': { type: 'string', default: '10' },
    'data-every': { type: 'string', default: '0' },
    burst: { type: 'string' },
    publishers: { type: 'string', default: '4' },
    malformed: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const url = values.url ?? process.env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883';
const username = values.username ?? process.env['MQTT_USERNAME'];
const password = values.password ?? process.env['MQTT_PASSWORD'];
const credentials = username && password ? () => ({ username, password }) : undefined;
const stands = values.stand
  ? [values.stand]
  : Array.from({ length: Number(values.stands) }, (_, i) => `teststand${i + 1}`);

if (values.burst) {
  const count = Number(values.burst);
  const result = await burst({
    url,
    count,
    publishers: Number(values.publishers),
    ...(credentials ? { credentials } : {}),
  });
  process.stdout.write(
    `${count} messages acknowledged by the broker in ${result.lastAckAt - result.firstPublishAt} ms\n`,
  );
  process.exit(0);
}

const sim = createStandSim({
  url,
  stands,
  module: values.module,
  statusEveryMs: Number(values['status-every']) * 1000,
  dataEveryMs: Number(values['data-every']) * 1000,
  ...(credentials ? { credentials } : {}),
  onCommand: (stand, command) => process.stdout.write(`${stand} got ${JSON.stringify(command)}\n`),
});
await sim.start();
if (values.malformed) {
  if (!(MALFORMED_KINDS as readonly string[]).includes(values.malformed)) {
    process.stderr.write(`--malformed: one of ${MALFORMED_KINDS.join(', ')}\n`);
    process.exit(2);
  }
  await sim.sendMalformed(stands[0]!, values.malformed as MalformedKind);
  await sim.stop();
  process.exit(0);
}
process.stdout.write(`${stands.length} stand(s) on ${url}: ${stands.join(', ')}; Ctrl-C to stop\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void sim.stop().then(() => process.exit(0)));
