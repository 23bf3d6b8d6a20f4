/**
 * Suite `mqtt-ingest`: a QoS 1 burst of test-stand data messages (3 values each, several
 * publishers) through the whole path — Mosquitto → teststand-handler → NATS → measurement-store →
 * PostgreSQL → notifier → AMQP — timed from the first publish to the last row committed and to the
 * last AMQP message; p50/p99 latency (publish → row committed) and lost / duplicated counts. The
 * services run as their own processes, as deployed (compiled, `start:dist`), on a Mosquitto of
 * the suite's own whose queue holds the whole burst.
 *
 * Baseline, in the same run: a bare mqtt.js subscriber (QoS 1, persistent session) that only
 * counts the same burst, published the same way on topics the handler does not read.
 */
import { natsNames } from '@ep/contracts';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { burst } from '@ep/teststand-sim';
import { freePort, infraUrls, startMosquitto, uniqueName, uniquePrefix, waitFor } from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import amqp from 'amqplib';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { readdirSync, readFileSync } from 'node:fs';
import type { BenchContext, Measurement, Suite } from '../harness.js';
import { buildServices, startService, type ServiceProcess } from '../services.js';

const PUBLISHERS = 4;
const VALUES = 3;

/** CPU seconds a process used so far (utime + stime of /proc/<pid>/stat; Linux, 100 ticks/s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by every process on the machine, summed by command name (comm). */
function cpuByCommand(): Map<string, number> {
  const byCommand = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      byCommand.set(comm, (byCommand.get(comm) ?? 0) + seconds);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return byCommand;
}

// The infrastructure's processes, by the command names Debian's packages run them under.
const INFRA = {
  'nats-server': 'nats-server',
  RabbitMQ: 'beam.smp',
  PostgreSQL: 'postgres',
  Mosquitto: 'mosquitto',
};

/**
 * CPU used by each service (and this process: the publishers, the AMQP consumer, the polling)
 * from now on, per message: on a shared machine the rates wander with the neighbours' load, the
 * CPU a message costs each part much less, so it shows where to look.
 */
function cpuMeter(services: Record<string, ServiceProcess>) {
  const own = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const start = Object.fromEntries(
    Object.entries(services).map(([name, s]) => [name, cpuSeconds(s.proc.pid)]),
  );
  const benchStart = own();
  const infraStart = cpuByCommand();
  return {
    perMessage(count: number): string {
      const ms = (seconds: number) => ((seconds * 1000) / count).toFixed(3);
      const parts = Object.entries(services).map(
        ([name, s]) => `${name} ${ms(cpuSeconds(s.proc.pid) - start[name]!)}`,
      );
      parts.push(`bench (publishers, AMQP consumer) ${ms(own() - benchStart)}`);
      // Processes that ended meanwhile (a PostgreSQL backend) are missed: a lower bound.
      const infraNow = cpuByCommand();
      for (const [label, comm] of Object.entries(INFRA))
        parts.push(`${label} ${ms((infraNow.get(comm) ?? 0) - (infraStart.get(comm) ?? 0))}`);
      return parts.join(', ');
    },
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** The bare subscriber: counts the burst and each message's latency (publish → receipt). */
async function bareRun(url: string, count: number) {
  const sub = await connectAsync(url, {
    clientId: uniqueName('bare'),
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 300 },
  });
  const seen = new Set<number>();
  const latencies: number[] = [];
  let last = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  sub.on('message', (_topic, payload) => {
    const { parameterObj } = JSON.parse(payload.toString()) as {
      parameterObj: { seq: number; sentAt: number };
    };
    const now = Date.now();
    seen.add(parameterObj.seq);
    latencies.push(now - parameterObj.sentAt);
    last = now;
    if (seen.size >= count) done();
  });
  await sub.subscribeAsync('+/bare/Inbound', { qos: 1 });
  const { firstPublishAt } = await burst({
    url,
    count,
    publishers: PUBLISHERS,
    values: VALUES,
    topic: (p) => `bare${p}/bare/Inbound`,
  });
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 120_000))]);
  await sub.endAsync();
  latencies.sort((a, b) => a - b);
  return {
    rate: (seen.size * 1000) / (last - firstPublishAt),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    received: seen.size,
  };
}

async function run(ctx: BenchContext): Promise<Measurement[]> {
  const urls = infraUrls();
  const count = ctx.quick ? 2_000 : 20_000;
  ctx.log('compiling the services (tsc -b)');
  buildServices('measurement-store', 'notifier', 'teststand-handler');
  const broker = await startMosquitto(['allow_anonymous true', 'max_inflight_messages 1000']);
  const testDb = await createMigratedTestDatabase('bmqtt');
  const prefix = uniquePrefix('bmqtt');
  const exchange = uniqueName('bench_mqtt');
  const queue = uniqueName('bench_mqtt_q');
  const connection = await amqp.connect(urls.amqpUrl);
  const channel = await connection.createChannel();
  const pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  const services: ServiceProcess[] = [];
  try {
    await channel.assertExchange(exchange, 'fanout', { durable: true });
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, exchange, '');
    const amqpIds = new Map<string, number>();
    let lastAmqpAt = 0;
    await channel.consume(
      queue,
      (m) => {
        if (!m) return;
        const id = m.properties.messageId as string;
        // The stands' online events travel too; only the burst's messages are counted.
        if (id.startsWith('liveness:')) return;
        amqpIds.set(id, (amqpIds.get(id) ?? 0) + 1);
        lastAmqpAt = Date.now();
      },
      { noAck: true },
    );

    // 1. Baseline: the bare subscriber, alone on the broker.
    ctx.log(`baseline: bare mqtt.js subscriber, ${count} messages from ${PUBLISHERS} publishers`);
    const bareCpu = cpuMeter({});
    const bare = await bareRun(broker.url, count);
    ctx.log(
      `CPU ms per message, baseline (bench: publishers and the bare subscriber): ${bareCpu.perMessage(count)}`,
    );
    ctx.log(
      `bare subscriber: ${bare.rate.toFixed(0)} msg/s, p50 ${bare.p50} ms, p99 ${bare.p99} ms, ${bare.received} received`,
    );

    // 2. The services, as deployed.
    const common = { NATS_URL: urls.natsUrl, EP_NATS_PREFIX: prefix, LOG_LEVEL: 'warn' };
    const store = startService('measurement-store', {
      ...common,
      DATABASE_URL: testDb.url,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    services.push(store);
    await Promise.race([store.ready, store.exited]);
    const notifier = startService('notifier', {
      ...common,
      AMQP_URL: urls.amqpUrl,
      EP_AMQP_EXCHANGE: exchange,
      PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    services.push(notifier);
    await Promise.race([notifier.ready, notifier.exited]);
    const handlerPort = await freePort();
    const handler = startService('teststand-handler', {
      ...common,
      MQTT_URL: broker.url,
      EP_MQTT_TOPICS: '+/ingest/Inbound',
      EP_MQTT_CLIENT_ID: `${prefix}_handler_0`,
      PORT: String(handlerPort),
      LOG_LEVEL: 'info',
    });
    services.push(handler);
    await Promise.race([handler.ready, handler.exited]);

    ctx.log(`teststand-handler: ${count} messages from ${PUBLISHERS} publishers`);
    const cpu = cpuMeter({ 'teststand-handler': handler, 'measurement-store': store, notifier });
    const { firstPublishAt, lastAckAt } = await burst({
      url: broker.url,
      count,
      publishers: PUBLISHERS,
      values: VALUES,
      topic: (p) => `bench${p}/ingest/Inbound`,
    });
    const rows = async () =>
      (
        await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM teststand_messages WHERE kind = 'data'",
        )
      ).rows[0]!.n;
    await waitFor(async () => (await rows()) >= count, {
      what: `${count} rows`,
      timeoutMs: 600_000,
      intervalMs: 100,
    }).catch(() => undefined);
    await waitFor(() => amqpIds.size >= count, {
      what: `${count} AMQP messages`,
      timeoutMs: 120_000,
      intervalMs: 100,
    }).catch(() => undefined);
    const cpuPerMessage = cpu.perMessage(count);
    // Late duplicates would land now.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { rows: stats } = await pool.query<{ n: number; seqs: number; last: string }>(
      `SELECT count(*)::int AS n, count(DISTINCT (parameters->>'seq')::int)::int AS seqs,
              (extract(epoch FROM max(stored_at)) * 1000)::text AS last FROM teststand_messages WHERE kind = 'data'`,
    );
    const { rows: lat } = await pool.query<{ ms: string }>(
      `SELECT (extract(epoch FROM stored_at) * 1000 - (parameters->>'sentAt')::float8)::text AS ms FROM teststand_messages WHERE kind = 'data'`,
    );
    const latencies = lat.map((r) => Number(r.ms)).sort((a, b) => a - b);
    // Where the time goes: when the last event reached each stream, next to the row and AMQP times.
    const nc = await connectNats({ servers: urls.natsUrl });
    const jsm = await jetstreamManager(nc);
    const names = natsNames(prefix);
    // The last data event of any publisher's stand (the streams also carry liveness events).
    const lastAt = async (stream: string, subject: (stand: string) => string) => {
      const times = await Promise.all(
        Array.from({ length: PUBLISHERS }, (_, p) =>
          jsm.streams
            .getMessage(stream, { last_by_subj: subject(`bench${p}`) })
            .then((m) => m?.time.getTime() ?? NaN),
        ),
      );
      return Math.max(...times) - firstPublishAt;
    };
    const stages = {
      teststandStream: await lastAt(names.streams.teststand, (s) => names.subjects.teststand(s, 'data')),
      lastRow: Number(stats[0]!.last) - firstPublishAt,
      storedStream: await lastAt(names.streams.stored, (s) => names.subjects.storedTeststand(s, 'data')),
      lastAmqp: lastAmqpAt - firstPublishAt,
    };
    await nc.close();
    ctx.log(`CPU ms per message during the burst: ${cpuPerMessage}`);
    // How long a message waited in the handler for JetStream (its PUBACK waited as long).
    const metrics = await (await fetch(`http://127.0.0.1:${handlerPort}/metrics`)).text();
    const metric = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const lagMs =
      (metric('ep_teststand_handler_lag_seconds_sum') / metric('ep_teststand_handler_lag_seconds_count')) *
      1000;
    ctx.log(`handler: mean receipt → JetStream ack ${lagMs.toFixed(1)} ms`);
    ctx.log(
      `stages (ms after the first publish): burst acknowledged by the broker ${lastAckAt - firstPublishAt}, last event in ${names.streams.teststand} ${stages.teststandStream}, last row ${stages.lastRow.toFixed(0)}, last event in ${names.streams.stored} ${stages.storedStream}, last AMQP message ${stages.lastAmqp}`,
    );
    const s = stats[0]!;
    const lastRowAt = Number(s.last);
    const pgRate = (s.seqs * 1000) / (lastRowAt - firstPublishAt);
    const amqpRate = (amqpIds.size * 1000) / (lastAmqpAt - firstPublishAt);
    const lost = count - s.seqs;
    const duplicated = s.n - s.seqs + [...amqpIds.values()].filter((n) => n > 1).length;
    ctx.log(
      `handler path: ${pgRate.toFixed(0)} msg/s to PostgreSQL, ${amqpRate.toFixed(0)} msg/s to AMQP, p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, lost ${lost}, duplicated ${duplicated}`,
    );
    return [
      {
        name: `burst of ${count} QoS 1 messages, first publish → last row committed`,
        value: pgRate,
        unit: 'msg/s',
        baseline: bare.rate,
      },
      {
        name: `same burst, first publish → last AMQP message`,
        value: amqpRate,
        unit: 'msg/s',
        baseline: bare.rate,
      },
      {
        name: 'latency p50, publish → row committed (baseline: → bare subscriber)',
        value: percentile(latencies, 50),
        unit: 'ms',
        baseline: bare.p50,
        higherIsBetter: false,
      },
      {
        name: 'latency p99, publish → row committed (baseline: → bare subscriber)',
        value: percentile(latencies, 99),
        unit: 'ms',
        baseline: bare.p99,
        higherIsBetter: false,
      },
      {
        name: 'lost (published, never stored; baseline: never received)',
        value: lost,
        unit: 'msgs',
        baseline: count - bare.received,
        higherIsBetter: false,
      },
      {
        name: 'duplicated (rows or AMQP messages beyond one per message)',
        value: duplicated,
        unit: 'msgs',
        baseline: 0,
        higherIsBetter: false,
      },
    ];
  } finally {
    for (const service of services.reverse()) await service.stop();
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close().catch(() => undefined);
    await pool.end();
    const nc = await connectNats({ servers: urls.natsUrl });
    const jsm = await jetstreamManager(nc);
    for (const stream of Object.values(natsNames(prefix).streams))
      await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await testDb.drop();
    await broker.stop();
  }
}

export const mqttIngestSuite: Suite = {
  name: 'mqtt-ingest',
  description:
    'QoS 1 test-stand burst through teststand-handler → store → PostgreSQL and AMQP, vs a bare mqtt.js subscriber',
  run,
};
