import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateApiKey } from '@ep/auth';
import { natsNames } from '@ep/contracts';
import { createDb } from '@ep/db';
import { silentLogger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import type { Database } from '@ep/schema';
import { createMigratedTestDatabase } from '@ep/schema/testing';
import { createStandSim, type StandSim } from '@ep/teststand-sim';
import {
  infraUrls,
  startMosquitto,
  uniquePrefix,
  waitFor,
  type Mosquitto,
  type TestDatabase,
  startStore,
  startService,
  freePort,
  type ServiceProcess,
} from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { parseQueryApiConfig } from '../src/config.js';
import { createQueryApi, type QueryApi } from '../src/query-api.js';

const REPLY_WINDOW_MS = 3_000;

describe('test-stand commands: query-api → NATS → teststand-handler → MQTT → simulated stand, reply linked', () => {
  const logger = silentLogger();
  let broker: Mosquitto;
  let testDb: TestDatabase;
  let db: Kysely<Database>;
  let store: { stop(): Promise<unknown> };
  let nc: NatsConnection;
  let handler: ServiceProcess;
  let api: QueryApi;
  let sim: StandSim;
  let base: string;
  let prefix: string;
  const commandKey = generateApiKey();
  const readKey = generateApiKey();
  const received: { stand: string; command: unknown }[] = [];

  beforeAll(async () => {
    const { natsUrl } = infraUrls();
    broker = await startMosquitto();
    testDb = await createMigratedTestDatabase('cmd');
    db = createDb<Database>({ url: testDb.url, max: 4 });
    for (const [name, key, scopes] of [
      ['lab', commandKey, ['teststand:command']],
      ['reader', readKey, ['read']],
    ] as const)
      await db
        .insertInto('api_keys')
        .values({ name, prefix: key.prefix, hash: key.hash, scopes: [...scopes], site_id: null })
        .execute();
    prefix = uniquePrefix('cmd');
    store = await startStore({ databaseUrl: testDb.url, natsUrl, prefix });
    // teststand-handler as deployed, its own process (query-api does not depend on its package).
    handler = startService('teststand-handler', {
      NATS_URL: natsUrl,
      EP_NATS_PREFIX: prefix,
      MQTT_URL: broker.url,
      PORT: String(await freePort()),
      EP_MQTT_CLIENT_ID: `${prefix}_h`,
      LOG_LEVEL: 'info',
    });
    await handler.ready;
    nc = await connectNats({ url: natsUrl, name: 'query-api-test', logger });
    api = await createQueryApi(
      parseQueryApiConfig({
        DATABASE_URL: testDb.url,
        NATS_URL: natsUrl,
        EP_NATS_PREFIX: prefix,
        EP_TESTSTAND_REPLY_WINDOW_MS: String(REPLY_WINDOW_MS),
        EP_TESTSTAND_COMMAND_REQUEST_TIMEOUT_MS: '5000',
        PORT: '0',
      }),
      { logger, exit: () => undefined },
    );
    await api.lifecycle.start();
    const address = api.server.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    sim = createStandSim({
      url: broker.url,
      stands: ['rig1'],
      module: 'demo_module',
      msPerWaitSecond: 200,
      onCommand: (stand, command) => received.push({ stand, command }),
    });
    await sim.start();
  });

  afterAll(async () => {
    await sim?.stop();
    await api?.lifecycle.stop();
    await handler?.stop();
    await store?.stop();
    if (nc) {
      const jsm = await jetstreamManager(nc);
      for (const stream of Object.values(natsNames(prefix).streams))
        await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    await db?.destroy();
    await testDb?.drop();
    await broker?.stop();
  });

  const call = async (method: string, path: string, key: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('sends a command the stand receives, and links the stand’s next status as its reply', async () => {
    // The simulator's greeting (600, 200) is in before the command is sent.
    await waitFor(
      async () =>
        (await db.selectFrom('teststand_messages').select('id').where('stand', '=', 'rig1').execute())
          .length >= 2,
    );
    const sent = await call('POST', '/api/v1/teststands/rig1/commands', commandKey.secret, {
      module: 'demo_module',
      commands: ['start'],
      parameters: { wait: 1 },
    });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({
      stand: 'rig1',
      module: 'demo_module',
      topic: 'rig1/demo_module/Outbound',
      commands: ['start'],
      parameters: { wait: 1 },
      requestedBy: 'lab',
      outcome: 'sent',
      error: null,
    });
    expect(sent.headers.get('location')).toBe(`/api/v1/teststands/rig1/commands/${sent.json.id}`);

    // The stand got it, in the protocol's JSON.
    await waitFor(() => received.length === 1, { what: 'the command at the simulator' });
    expect(received[0]).toEqual({
      stand: 'rig1',
      command: {
        protocolVersion: 1.1,
        sentBy: 'ep',
        msgType: 'command',
        statusCode: '200',
        commandList: ['start'],
        parameterObj: { wait: 1 },
      },
    });

    // Its answer (status 202) is linked; then the data package and status 200 follow.
    const answered = await waitFor(
      async () => {
        const r = await call('GET', `/api/v1/teststands/rig1/commands/${sent.json.id}`, commandKey.secret);
        return r.json.state === 'answered' ? r.json : undefined;
      },
      { what: 'the command answered' },
    );
    expect(answered.reply).toMatchObject({ statusCode: 202 });
    const data = await waitFor(() =>
      db
        .selectFrom('teststand_messages')
        .selectAll()
        .where('stand', '=', 'rig1')
        .where('kind', '=', 'data')
        .executeTakeFirst(),
    );
    expect(data.parameters).toMatchObject({ wait: 1 });
    // The command itself is kept with the stand's messages, as sent.
    const outbound = await waitFor(() =>
      db
        .selectFrom('teststand_messages')
        .selectAll()
        .where('stand', '=', 'rig1')
        .where('direction', '=', 'outbound')
        .executeTakeFirst(),
    );
    expect(outbound).toMatchObject({
      kind: 'command',
      topic: 'rig1/demo_module/Outbound',
      commands: ['start'],
    });
  });

  it('shows no answer once the reply window passed without a status', async () => {
    const sent = await call('POST', '/api/v1/teststands/ghost/commands', commandKey.secret, {
      commands: ['start'],
    });
    expect(sent.status).toBe(201);
    expect(sent.json).toMatchObject({
      topic: 'ghost/outbound',
      outcome: 'sent',
      state: 'pending',
      reply: null,
    });
    await new Promise((resolve) => setTimeout(resolve, REPLY_WINDOW_MS));
    const later = await call('GET', `/api/v1/teststands/ghost/commands/${sent.json.id}`, commandKey.secret);
    expect(later.json).toMatchObject({ state: 'no answer', reply: null });
  });

  it('refuses a key without teststand:command, a bad body and topic wildcards, naming the field', async () => {
    expect(
      (await call('POST', '/api/v1/teststands/rig1/commands', readKey.secret, { commands: ['start'] }))
        .status,
    ).toBe(403);
    const empty = await call('POST', '/api/v1/teststands/rig1/commands', commandKey.secret, { commands: [] });
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.json)).toMatch(/commands/);
    const wildcard = await call('POST', '/api/v1/teststands/rig1/commands', commandKey.secret, {
      module: '#',
      commands: ['start'],
    });
    expect(wildcard.status).toBe(400);
    expect(JSON.stringify(wildcard.json)).toMatch(/module/);
  });

  it('stores the command as failed and answers 503 when no handler is running', async () => {
    await handler.stop();
    const r = await call('POST', '/api/v1/teststands/rig1/commands', commandKey.secret, {
      commands: ['start'],
    });
    expect(r.status).toBe(503);
    const row = await db
      .selectFrom('teststand_commands')
      .selectAll()
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'failed', error: 'no teststand-handler is running' });
  });
});
