import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsNames, type StoredTeststandEvents } from '@ep/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import { startService, waitFor, type ServiceProcess } from '@ep/testkit';
import { sql } from 'kysely';
import { createBed, standClient, startBroker, type Bed, type Broker } from './support.js';

// EP_TEST_BURST shortens the burst while working on this test; the acceptance run uses 20k.
const TOTAL = Number(process.env['EP_TEST_BURST'] ?? 20_000);
const PUBLISHERS = 4;

/** Publishes the burst: PUBLISHERS stands, each its share, every message naming itself (stand, seq). */
async function burst(url: string, prefix: string) {
  const publishers = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, p) => standClient(url, `${prefix}_stand${p}`)),
  );
  const sending = Promise.all(
    publishers.map(async (client, p) => {
      const pending: Promise<unknown>[] = [];
      for (let seq = p; seq < TOTAL; seq += PUBLISHERS) {
        const payload = JSON.stringify({
          protocolVersion: 1.1,
          sentBy: `stand${p}`,
          msgType: 'data',
          statusCode: '200',
          parameterObj: { seq },
          dataObj: { v: [seq, seq * 2, seq * 3] },
        });
        pending.push(client.publishAsync(`stand${p}/bench/Inbound`, payload, { qos: 1 }));
        if (pending.length >= 200) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    }),
  );
  return { publishers, sending };
}

/** Every data message of the burst stored exactly once: counts, distinct seqs and event ids. */
async function checkExactlyOnce(bed: Bed) {
  const { rows } = await sql<{ n: number; seqs: number; events: number; min: number; max: number }>`
    SELECT count(*)::int AS n, count(DISTINCT (parameters->>'seq')::int)::int AS seqs,
           count(DISTINCT event_id)::int AS events,
           min((parameters->>'seq')::int) AS min, max((parameters->>'seq')::int) AS max
    FROM teststand_messages WHERE kind = 'data'`.execute(bed.db);
  const { rows: twice } = await sql<{ seq: number; ids: string[] }>`
    SELECT (parameters->>'seq')::int AS seq, array_agg(event_id ORDER BY id) AS ids
    FROM teststand_messages WHERE kind = 'data' GROUP BY 1 HAVING count(*) > 1 LIMIT 10`.execute(bed.db);
  expect({ ...rows[0], twice }).toEqual({
    n: TOTAL,
    seqs: TOTAL,
    events: TOTAL,
    min: 0,
    max: TOTAL - 1,
    twice: [],
  });
}

/** The burst's rows (the stands' online events are stored too). */
async function dataRows(bed: Bed): Promise<number> {
  return (
    await sql<{ n: number }>`SELECT count(*)::int AS n FROM teststand_messages WHERE kind = 'data'`.execute(
      bed.db,
    )
  ).rows[0]!.n;
}

/** A test file section's broker, bed and service processes, set up and torn down around it. */
function world(label: string) {
  const w = {
    broker: undefined as unknown as Broker,
    bed: undefined as unknown as Bed,
    children: [] as ServiceProcess[],
  };
  beforeAll(async () => {
    w.broker = await startBroker();
    w.bed = await createBed(label);
  });
  afterAll(async () => {
    for (const child of w.children) await child.kill();
    await w.bed?.close();
    await w.broker?.stop();
  });
  return w;
}

/** The handler's environment: the same persistent session before and after a kill, as a StatefulSet pod keeps its name. */
const handlerEnv = (bed: Bed, broker: Broker) => ({
  NATS_URL: bed.natsUrl,
  EP_NATS_PREFIX: bed.prefix,
  MQTT_URL: broker.url,
  EP_MQTT_CLIENT_ID: `${bed.prefix}_handler_0`,
  PORT: '0',
  // info: the test waits for the "subscribed" line.
  LOG_LEVEL: 'info',
});

/** Starts the handler and waits until it subscribed: from then on the broker queues for its session even while it is down. */
async function startSubscribed(
  env: Record<string, string>,
  children: ServiceProcess[],
): Promise<ServiceProcess> {
  const handler = startService('teststand-handler', env, { stderr: 'ignore' });
  children.push(handler);
  await waitFor(() => handler.output().includes('"msg":"subscribed"'), {
    what: 'the handler subscribed',
    timeoutMs: 30_000,
  });
  return handler;
}

describe('teststand-handler killed with SIGKILL in a 20k QoS 1 burst and restarted', () => {
  const w = world('tskill');
  const count = () => dataRows(w.bed);

  it('stores every message exactly once', async () => {
    const { bed, broker, children } = w;
    const env = handlerEnv(bed, broker);
    const a = await startSubscribed(env, children);

    // The burst: PUBLISHERS stands, each its share, every message naming itself (stand, seq).
    const { publishers, sending } = await burst(broker.url, bed.prefix);

    // Kill it in the middle: some stored, most not.
    await waitFor(async () => (await count()) >= 1_000, {
      what: 'the first thousand rows',
      timeoutMs: 60_000,
    });
    expect(await a.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = await count();
    await sending;
    for (const client of publishers) await client.endAsync();
    expect(atKill).toBeLessThan(TOTAL);

    const b = startService('teststand-handler', env, { stderr: 'ignore' });
    children.push(b);
    const restartedAt = Date.now();
    await waitFor(async () => (await count()) >= TOTAL, {
      what: `all ${TOTAL} rows after the restart`,
      timeoutMs: 240_000,
      intervalMs: 500,
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${await count()} rows; handler output: ${b.output().slice(-3000)}`);
    });
    // For whoever reads the test output: how much was left to do after the restart.
    console.error(
      `killed at ${atKill} rows; all ${TOTAL} stored ${Date.now() - restartedAt} ms after the restart`,
    );
    // Late duplicates would show up now, if there were any.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await checkExactlyOnce(bed);

    expect(await b.stop()).toEqual({ code: 0, signal: null });
  }, 360_000);
});

describe('measurement-store killed with SIGKILL while it stores a 20k QoS 1 burst, and restarted', () => {
  const w = world('tsstorekill');
  const count = () => dataRows(w.bed);

  it('stores every message exactly once and publishes every stored event', async () => {
    const { bed, broker, children } = w;
    const handler = await startSubscribed(handlerEnv(bed, broker), children);
    const { publishers, sending } = await burst(broker.url, bed.prefix);

    // The store dies between (or inside) its transactions of teststand.events batches: what it
    // committed but did not ack comes again and must not be stored twice, nor its stored events lost.
    await waitFor(async () => (await count()) >= 1_000, {
      what: 'the first thousand rows',
      timeoutMs: 60_000,
    });
    await bed.killStore();
    const atKill = await count();
    expect(atKill).toBeLessThan(TOTAL);
    await bed.restartStore();
    await sending;
    for (const client of publishers) await client.endAsync();

    await waitFor(async () => (await count()) >= TOTAL, {
      what: `all ${TOTAL} rows after the restart`,
      timeoutMs: 240_000,
      intervalMs: 500,
    });
    console.error(`store killed at ${atKill} rows; all ${TOTAL} stored after its restart`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await checkExactlyOnce(bed);

    // Every stored row's event is on the STORED stream (a repeat after the kill is allowed: the
    // notifier's message_id is the event id), and nothing else of the burst is. A batch the killed
    // store committed but had not published comes again only after the consumer's ack wait
    // (STORE_ACK_WAIT_MS, 30 s), so its stored events can follow the last row by that long.
    const names = natsNames(bed.prefix);
    const jsm = await jetstreamManager(bed.nc);
    const publishedIds = async () => {
      const info = await jsm.streams.info(names.streams.stored);
      const published = new Set<string>();
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(names.streams.stored, { seq });
        const body = msg?.json<StoredTeststandEvents>();
        if (body?.type !== 'teststand.stored.events') continue;
        for (const e of body.events) if (e.event.kind === 'data') published.add(e.event.eventId);
      }
      return published;
    };
    let published = new Set<string>();
    await waitFor(
      async () => {
        published = await publishedIds();
        return published.size >= TOTAL;
      },
      { what: `stored events of all ${TOTAL} rows`, timeoutMs: 120_000, intervalMs: 1_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (${published.size} published)`);
    });
    const ids = (
      await sql<{ event_id: string }>`SELECT event_id FROM teststand_messages WHERE kind = 'data'`.execute(
        bed.db,
      )
    ).rows.map((r) => r.event_id);
    expect(published.size).toBe(TOTAL);
    expect(ids.filter((id) => !published.has(id))).toEqual([]);

    expect(await handler.stop()).toEqual({ code: 0, signal: null });
  }, 360_000);
});
