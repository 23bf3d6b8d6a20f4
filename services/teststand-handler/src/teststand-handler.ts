import { natsNames, streamSpecs } from '@ep/contracts';
import { createHttpServer, httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import { createMqttClient, type MqttClient } from '@ep/mqtt';
import { connectNats, ensureStream } from '@ep/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { hostname } from 'node:os';
import { Registry } from 'prom-client';
import { createCommandResponder } from './adapters/command-responder.js';
import { createEventsPublisher } from './adapters/events-publisher.js';
import { createLiveness } from './adapters/liveness.js';
import { createHandlerMetrics } from './adapters/metrics.js';
import { createCommandSender } from './use-cases/commands.js';
import { createIngest } from './use-cases/ingest.js';
import type { TeststandHandlerConfig } from './config.js';

export interface TeststandHandler extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  mqtt: MqttClient;
  nc: NatsConnection;
  registry: Registry;
}

/** The MQTT subscriptions: every topic filter, in the shared group when there is one. */
export function subscriptionTopics(
  config: Pick<TeststandHandlerConfig, 'EP_MQTT_TOPICS' | 'EP_MQTT_SHARE_GROUP'>,
): string[] {
  const group = config.EP_MQTT_SHARE_GROUP.trim();
  return config.EP_MQTT_TOPICS.map((t) => (group ? `$share/${group}/${t}` : t));
}

/**
 * Connects to NATS (failing fast), ensures the TESTSTAND stream, and wires the MQTT client
 * (inbound messages → events), the command responder (NATS requests → MQTT Outbound) and the HTTP
 * ops server into a lifecycle. Nothing runs before lifecycle.start().
 */
export async function createTeststandHandler(
  config: TeststandHandlerConfig,
  deps: ServiceDeps,
): Promise<TeststandHandler> {
  const { logger } = deps;
  const names = natsNames(config.EP_NATS_PREFIX);
  const registry = new Registry();
  const metrics = createHandlerMetrics(registry);
  const lifecycle = serviceLifecycle(deps);

  const nc = await connectNats({ url: config.NATS_URL, name: 'teststand-handler', logger });
  lifecycle.add({ name: 'nats', stop: () => nc.drain() });
  const js = jetstream(nc);
  // Same spec as measurement-store's, so whichever starts first creates it and neither rewrites it.
  await ensureStream(await jetstreamManager(nc), streamSpecs(config.EP_NATS_PREFIX).teststand);

  const { publishEvent, flush } = createEventsPublisher({
    js,
    names,
    // 1 MiB is the server's default; INFO is there once connected.
    maxPayload: nc.info?.max_payload ?? 1024 * 1024,
  });
  // Stopped after MQTT, liveness and commands (reverse order), before NATS drains: the last
  // batch is sent, so the handlers waiting on it PUBACK or fail before the connection goes.
  lifecycle.add({ name: 'events', stop: flush });

  const liveness = createLiveness({
    nc,
    bucket: names.buckets.teststandLiveness,
    offlineAfterMs: config.EP_TESTSTAND_OFFLINE_AFTER_MS,
    tickMs: config.EP_TESTSTAND_LIVENESS_CHECK_MS,
    publishEvent,
    logger,
    registry,
  });

  const clientId = config.EP_MQTT_CLIENT_ID ?? `teststand-handler_${hostname()}`;
  const mqtt = createMqttClient({
    url: config.MQTT_URL,
    ...(config.MQTT_USERNAME !== undefined ? { username: config.MQTT_USERNAME } : {}),
    ...(config.MQTT_PASSWORD !== undefined ? { password: config.MQTT_PASSWORD } : {}),
    clientId,
    name: 'teststand-handler',
    logger,
    subscriptions: subscriptionTopics(config).map((topic) => ({ topic, qos: 1 as const })),
    maxInFlight: config.EP_MQTT_MAX_IN_FLIGHT,
    onMessage: createIngest({
      clientId,
      maxMessageBytes: config.EP_TESTSTAND_MAX_MESSAGE_BYTES,
      publishEvent,
      metrics,
      logger,
      onSeen: (stand, at) => liveness.seen(stand, at),
    }),
  });

  const commands = createCommandResponder({
    nc,
    subject: names.subjects.allTeststandCommands,
    queue: 'teststand-handler',
    logger,
    send: createCommandSender({
      sentBy: config.EP_TESTSTAND_SENDER,
      publishMqtt: (topic, payload, options) => mqtt.publish(topic, payload, options),
      publishEvent,
      timeoutMs: config.EP_TESTSTAND_COMMAND_TIMEOUT_MS,
      metrics,
    }),
  });

  const server = await createHttpServer({
    logger,
    name: 'teststand-handler',
    docs: false,
    ops: {
      registry,
      checks: [
        {
          name: 'mqtt',
          check: async () => {
            if (!mqtt.connected) throw new Error('not connected to the MQTT broker');
          },
        },
        {
          name: 'nats',
          check: async () => {
            if (nc.isClosed()) throw new Error('NATS connection closed');
            await nc.flush();
          },
        },
      ],
    },
  });

  // MQTT stops before NATS (reverse order), so the last handlers can still publish and PUBACK.
  lifecycle.add(
    liveness,
    { name: 'mqtt', start: () => mqtt.start(), stop: () => mqtt.stop() },
    commands,
    httpResource(server, { port: config.PORT }),
  );
  return { lifecycle, server, mqtt, nc, registry };
}
