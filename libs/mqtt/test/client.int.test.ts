import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@ep/logger';
import { infraUrls, startFaultProxy, uniqueName, waitFor, type FaultProxy } from '@ep/testkit';
import { connectAsync } from 'mqtt';
import { createMqttClient, MqttPublishError, type MqttClient, type MqttClientOptions } from '../src/index.js';

const { mqttUrl } = infraUrls();
const logger = silentLogger();
const prefix = uniqueName('mqtt');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Delivery {
  topic: string;
  payload: Buffer;
  qos: number;
  dup: boolean;
}

describe('mqtt client against Mosquitto', () => {
  const clients: MqttClient[] = [];
  const proxies: FaultProxy[] = [];
  const sessions = new Set<string>();

  afterAll(async () => {
    for (const client of clients) await client.stop();
    for (const proxy of proxies) await proxy.close();
    // Persistent sessions outlive the test on the broker: end each with a clean start.
    for (const clientId of sessions) {
      const raw = await connectAsync(mqttUrl, { clientId, clean: true, protocolVersion: 5 });
      await raw.endAsync();
    }
  });

  function client(options: Partial<MqttClientOptions>): MqttClient {
    const c = createMqttClient({ url: mqttUrl, logger, reconnectPeriodMs: 100, ...options });
    clients.push(c);
    if (options.persistentSession !== false) sessions.add(c.clientId);
    return c;
  }

  async function publisher(): Promise<MqttClient> {
    const p = client({ clientId: uniqueName('pub'), persistentSession: false });
    await p.start();
    return p;
  }

  /** A subscriber that records what it is handed. */
  function recorder(deliveries: Delivery[]) {
    return async (topic: string, payload: Buffer, packet: { qos: number; dup: boolean }) => {
      deliveries.push({ topic, payload, qos: packet.qos, dup: packet.dup });
    };
  }

  it('hands QoS 1 messages to onMessage with the payload intact', async () => {
    const deliveries: Delivery[] = [];
    const sub = client({
      clientId: uniqueName('sub'),
      subscriptions: [{ topic: `${prefix}/a/+`, qos: 1 }],
      onMessage: recorder(deliveries),
    });
    await sub.start();
    expect(sub.connected).toBe(true);
    const pub = await publisher();
    const binary = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe]), randomBytes(4096)]);
    const json = JSON.stringify({
      protocolVersion: 1.1,
      sentBy: 'stand1',
      msgType: 'data',
      dataObj: { x: [1, 2] },
    });

    await pub.publish(`${prefix}/a/binary`, binary, { qos: 1 });
    await pub.publish(`${prefix}/a/json`, json, { qos: 1 });

    await waitFor(() => deliveries.length === 2, { what: 'two deliveries' });
    expect(deliveries[0]).toEqual({ topic: `${prefix}/a/binary`, payload: binary, qos: 1, dup: false });
    expect(deliveries[1]?.topic).toBe(`${prefix}/a/json`);
    expect(deliveries[1]?.payload.toString('utf8')).toBe(json);
  });

  it('acknowledges a message only after onMessage resolved', async () => {
    const topic = `${prefix}/b/in`;
    const clientId = uniqueName('sub');
    const proxy = await startFaultProxy(mqttUrl);
    proxies.push(proxy);
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = client({
      url: proxy.url,
      clientId,
      subscriptions: [{ topic, qos: 1 }],
      stopTimeoutMs: 200,
      onMessage: async () => {
        entered();
        await gate;
      },
    });
    await first.start();
    const pub = await publisher();
    await pub.publish(topic, 'slow', { qos: 1 });
    await handlerEntered;
    // Time for a PUBACK sent too early to reach the broker; then the link dies mid-handler.
    await sleep(300);
    proxy.cut();
    release();
    await first.stop();

    // The same session, resumed by another connection: the broker still owes us the message.
    const deliveries: Delivery[] = [];
    const second = client({ clientId, subscriptions: [{ topic, qos: 1 }], onMessage: recorder(deliveries) });
    await second.start();
    await waitFor(() => deliveries.length === 1, { what: 'redelivery of the unacknowledged message' });
    expect(deliveries[0]).toMatchObject({ topic, payload: Buffer.from('slow'), dup: true });
  });

  describe.each([4, 5] as const)('MQTT protocol version %i', (protocolVersion) => {
    it('redelivers a message whose handler threw, and keeps order behind it', async () => {
      const topic = `${prefix}/c${protocolVersion}/in`;
      const handled: string[] = [];
      let failures = 0;
      const sub = client({
        clientId: uniqueName('sub'),
        protocolVersion,
        subscriptions: [{ topic, qos: 1 }],
        onMessage: async (_topic, payload) => {
          const text = payload.toString();
          if (text === 'flaky' && failures === 0) {
            failures += 1;
            throw new Error('NATS is away');
          }
          handled.push(text);
        },
      });
      await sub.start();
      const pub = await publisher();
      await pub.publish(topic, 'flaky', { qos: 1 });
      await pub.publish(topic, 'next', { qos: 1 });

      await waitFor(() => handled.includes('next'), { what: 'both messages handled' });
      expect(failures).toBe(1);
      expect(handled[0]).toBe('flaky');
      expect(handled).toContain('next');
    });

    it('keeps the session: QoS 1 messages sent while stopped arrive on the next start', async () => {
      const topic = `${prefix}/d${protocolVersion}/in`;
      const clientId = uniqueName('sub');
      const options = { clientId, protocolVersion, subscriptions: [{ topic, qos: 1 as const }] };
      const before = client({ ...options, onMessage: async () => undefined });
      await before.start();
      await before.stop();

      const pub = await publisher();
      for (const text of ['one', 'two', 'three']) await pub.publish(topic, text, { qos: 1 });

      const deliveries: Delivery[] = [];
      const after = client({ ...options, onMessage: recorder(deliveries) });
      await after.start();
      await waitFor(() => deliveries.length === 3, { what: 'the three queued messages' });
      expect(deliveries.map((d) => d.payload.toString())).toEqual(['one', 'two', 'three']);
    });
  });

  it('with maxInFlight, overlaps handlers and still acknowledges each only after its handler', async () => {
    const topic = `${prefix}/w/in`;
    const clientId = uniqueName('sub');
    const proxy = await startFaultProxy(mqttUrl);
    proxies.push(proxy);
    let active = 0;
    let mostActive = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    const first = client({
      url: proxy.url,
      clientId,
      maxInFlight: 8,
      subscriptions: [{ topic, qos: 1 }],
      stopTimeoutMs: 200,
      onMessage: async (_t, payload) => {
        active += 1;
        mostActive = Math.max(mostActive, active);
        // Message 5 is stuck (NATS slow, say) while the others complete.
        if (payload.toString() === '5') await gate;
        else await sleep(20);
        active -= 1;
        handled.push(payload.toString());
      },
    });
    await first.start();
    const pub = await publisher();
    for (let i = 1; i <= 10; i++) await pub.publish(topic, String(i), { qos: 1 });
    await waitFor(() => handled.length === 9, { what: 'every message but the stuck one' });
    expect(mostActive).toBeGreaterThan(1);
    // PUBACKs of 1–4 went out; 6–10 wait behind 5. Then the link dies.
    await sleep(300);
    proxy.cut();
    release();
    await first.stop();

    const deliveries: Delivery[] = [];
    const second = client({ clientId, subscriptions: [{ topic, qos: 1 }], onMessage: recorder(deliveries) });
    await second.start();
    await waitFor(() => deliveries.length === 6, { what: 'redelivery of 5–10' });
    await sleep(300);
    expect(deliveries.map((d) => d.payload.toString())).toEqual(['5', '6', '7', '8', '9', '10']);
    expect(deliveries.every((d) => d.dup)).toBe(true);
  });

  it('resolves a QoS 1 publish only once the broker acknowledged it', async () => {
    const topic = `${prefix}/e/in`;
    const deliveries: Delivery[] = [];
    const sub = client({
      clientId: uniqueName('sub'),
      subscriptions: [{ topic, qos: 1 }],
      onMessage: recorder(deliveries),
    });
    await sub.start();
    const proxy = await startFaultProxy(mqttUrl);
    proxies.push(proxy);
    const pub = client({ url: proxy.url, clientId: uniqueName('pub'), persistentSession: false });
    await pub.start();

    // Latency on the publisher's link, cut as soon as publish resolves: a publish that resolved
    // on writing rather than on PUBACK would lose its message in the proxy.
    proxy.delay(150);
    await pub.publish(topic, 'acked', { qos: 1 });
    proxy.cut();

    await waitFor(() => deliveries.length === 1, { what: 'the acknowledged message' });
    expect(deliveries[0]?.payload.toString()).toBe('acked');
    await waitFor(() => !pub.connected, { what: 'publisher to notice the cut' });
    await expect(pub.publish(topic, 'offline', { qos: 1 })).rejects.toBeInstanceOf(MqttPublishError);
  });

  it('spreads a shared subscription over its members, each message to exactly one', async () => {
    const group = uniqueName('group');
    const topic = `${prefix}/f/in`;
    const a: Delivery[] = [];
    const b: Delivery[] = [];
    const subscriptions = [{ topic: `$share/${group}/${topic}`, qos: 1 as const }];
    await client({ clientId: uniqueName('sub'), subscriptions, onMessage: recorder(a) }).start();
    await client({ clientId: uniqueName('sub'), subscriptions, onMessage: recorder(b) }).start();
    const pub = await publisher();

    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const text of sent) await pub.publish(topic, text, { qos: 1 });

    await waitFor(() => a.length + b.length === sent.length, { what: 'all messages' });
    const received = [...a, ...b].map((d) => d.payload.toString());
    expect(received.sort()).toEqual([...sent].sort());
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(a[0]?.topic).toBe(topic);
  });

  it('stops cleanly and idempotently; publishing afterwards is refused', async () => {
    const c = client({ clientId: uniqueName('pub'), persistentSession: false });
    await c.start();
    const first = c.stop();
    expect(c.stop()).toBe(first);
    await first;
    expect(c.connected).toBe(false);
    await expect(c.publish(`${prefix}/g`, 'late')).rejects.toMatchObject({ reason: 'stopped' });
  });
});
