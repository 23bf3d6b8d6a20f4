/**
 * Where the real servers are for tests: EP_TEST_* first, then the standard variables, then the
 * standard local ports (the Debian packages `make test` starts). Nothing here is a mock.
 */
export interface TestInfra {
  databaseUrl: string;
  natsUrl: string;
  amqpUrl: string;
  mqttUrl: string;
}

export function infraUrls(env: Record<string, string | undefined> = process.env): TestInfra {
  return {
    databaseUrl:
      env['EP_TEST_DATABASE_URL'] ?? env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    natsUrl: env['EP_TEST_NATS_URL'] ?? env['NATS_URL'] ?? 'nats://127.0.0.1:4222',
    amqpUrl: env['EP_TEST_AMQP_URL'] ?? env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    mqttUrl: env['EP_TEST_MQTT_URL'] ?? env['MQTT_URL'] ?? 'mqtt://127.0.0.1:1883',
  };
}

let counter = 0;

/**
 * A name unique to this test run: lowercase letters, digits and `_`, usable as a NATS prefix,
 * a database name or an exchange name. Each test file takes its own so files never see each other.
 */
export function uniqueName(label = 't'): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 12);
  counter += 1;
  return `${clean}_${process.pid.toString(36)}${Date.now().toString(36).slice(-5)}${counter}`;
}

/** A unique NATS subject/stream prefix for one test file (EP_NATS_PREFIX). */
export const uniquePrefix = (label = 't') => uniqueName(`t${label}`).slice(0, 31);
