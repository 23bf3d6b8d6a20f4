import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { natsNames } from '@ep/contracts';
import { waitFor } from '@ep/testkit';
import { Kvm } from '@nats-io/kv';
import type { MqttClient } from 'mqtt';
import type { TeststandHandler } from '../src/teststand-handler.js';
import { createBed, standClient, startBroker, startHandler, type Bed, type Broker } from './support.js';

describe('stand liveness: online when heard, offline after a silence, each an event', () => {
  let broker: Broker;
  let bed: Bed;
  const handlers: TeststandHandler[] = [];
  let stand: MqttClient;

  beforeAll(async () => {
    broker = await startBroker();
    bed = await createBed('tslive');
    // Two replicas sharing the stands: each transition is still one event.
    for (const n of [0, 1])
      handlers.push(
        (
          await startHandler(bed, broker.url, {
            EP_MQTT_CLIENT_ID: `${bed.prefix}_h${n}`,
            EP_TESTSTAND_OFFLINE_AFTER_MS: '1500',
            EP_TESTSTAND_LIVENESS_CHECK_MS: '200',
          })
        ).handler,
      );
    stand = await standClient(broker.url, `${bed.prefix}_live`);
  });

  afterAll(async () => {
    await stand?.endAsync();
    for (const h of handlers) await h.lifecycle.stop();
    await bed?.close();
    await broker?.stop();
  });

  const transitions = async (of = 'live1') =>
    (
      await bed.db
        .selectFrom('teststand_messages')
        .select(['kind', 'received_at', 'direction'])
        .where('stand', '=', of)
        .where('kind', 'in', ['online', 'offline'])
        .orderBy('id')
        .execute()
    ).map((r) => r.kind);

  it('goes online, offline after the silence, and online again', async () => {
    const status = JSON.stringify({
      protocolVersion: 1.1,
      sentBy: 'live1',
      msgType: 'status',
      statusCode: '200',
    });
    for (let i = 0; i < 5; i++) await stand.publishAsync('live1/m/Inbound', status, { qos: 1 });
    await waitFor(async () => (await transitions()).length >= 1, { what: 'online' });
    await waitFor(async () => (await transitions()).length >= 2, { what: 'offline', timeoutMs: 15_000 });
    await stand.publishAsync('live1/m/Inbound', status, { qos: 1 });
    // Silent again after this status, the stand goes offline again 1.5 s later: the store may
    // commit that event with the online one, so the count can pass 3 without stopping at it.
    await waitFor(async () => (await transitions()).length >= 3, { what: 'online again' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seen = await transitions();
    expect(seen.slice(0, 3)).toEqual(['online', 'offline', 'online']);
    // One event per transition across both replicas: never the same kind twice in a row.
    expect(seen.filter((k, i) => i > 0 && k === seen[i - 1])).toEqual([]);
    // The events change nothing of the stand's own state: no extra module row, last_seen its own.
    const stands = await bed.db
      .selectFrom('teststands')
      .select(['module'])
      .where('stand', '=', 'live1')
      .execute();
    expect(stands).toEqual([{ module: 'm' }]);
  });

  it('keeps checking while the bucket is written all the time', async () => {
    // The replicas write the shared bucket on every tick; a check that lists its keys must not
    // stall on those writes (nats.js KV.keys() could wait for ever: liveness stopped for good).
    const kv = await new Kvm(bed.nc).open(natsNames(bed.prefix).buckets.teststandLiveness);
    const busy = Buffer.from('busy1').toString('base64url');
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const lastSeen = new Date().toISOString();
        await kv.put(busy, JSON.stringify({ stand: 'busy1', lastSeen, online: true }));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    try {
      const status = JSON.stringify({
        protocolVersion: 1.1,
        sentBy: 'live2',
        msgType: 'status',
        statusCode: '200',
      });
      for (const round of [1, 2]) {
        await stand.publishAsync('live2/m/Inbound', status, { qos: 1 });
        await waitFor(async () => (await transitions('live2')).length >= 2 * round, {
          what: `live2 online and offline, round ${round}`,
          timeoutMs: 15_000,
        });
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(await transitions('live2')).toEqual(['online', 'offline', 'online', 'offline']);
  });

  it('publishes a transition a stopped replica wrote but did not announce', async () => {
    // What a replica SIGKILLed between its compare-and-set and the event's publish leaves behind.
    const kv = await new Kvm(bed.nc).open(natsNames(bed.prefix).buckets.teststandLiveness);
    const k = Buffer.from('live3').toString('base64url');
    const lastSeen = new Date().toISOString();
    const unannounced = {
      eventId: `liveness:${k}:online:0@left`,
      kind: 'online',
      receivedAt: lastSeen,
      writtenAt: new Date(Date.now() - 10_000).toISOString(),
    };
    await kv.create(k, JSON.stringify({ stand: 'live3', lastSeen, online: true, unannounced }));
    await waitFor(async () => (await transitions('live3')).length >= 2, {
      what: 'live3 online, then offline',
    });
    const rows = await bed.db
      .selectFrom('teststand_messages')
      .select(['kind', 'event_id', 'received_at'])
      .where('stand', '=', 'live3')
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.kind, r.event_id])).toEqual([
      ['online', unannounced.eventId],
      ['offline', expect.stringMatching(new RegExp(`^liveness:${k}:offline:\\d+@[0-9a-z]+$`))],
    ]);
    expect(rows.map((r) => r.received_at.toISOString())).toEqual([lastSeen, lastSeen]);
    // Both announced: the entry holds no transition any more (cleared just after the publish).
    await waitFor(async () => !(await kv.get(k))?.json<Record<string, unknown>>()['unannounced'], {
      what: 'the offline transition cleared from the entry',
    });
    expect((await kv.get(k))?.json<Record<string, unknown>>()).toEqual({
      stand: 'live3',
      lastSeen,
      online: false,
    });
  });
});
