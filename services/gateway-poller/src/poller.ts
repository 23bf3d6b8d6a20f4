import { natsNames, streamSpecs } from '@ep/contracts';
import { createDb, pingDb } from '@ep/db';
import { createHttpServer, httpResource, type HttpServer } from '@ep/http';
import { serviceLifecycle, type Lifecycle, type Service, type ServiceDeps } from '@ep/lifecycle';
import { connectNats, ensureStream, publish } from '@ep/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { openLeases } from './adapters/leases.js';
import { createPollerMetrics } from './adapters/metrics.js';
import { Scheduler } from './adapters/scheduler.js';
import { registerStatusRoute } from './adapters/status-route.js';
import type { GatewayPollerConfig } from './config.js';
import type { GatewayDatabase } from './db/schema.js';

export interface GatewayPoller extends Service {
  lifecycle: Lifecycle;
  server: HttpServer;
  scheduler: Scheduler;
  db: Kysely<GatewayDatabase>;
  nc: NatsConnection;
  registry: Registry;
}

/**
 * Connects to PostgreSQL and NATS, makes sure the READINGS stream exists (with the same spec
 * measurement-store provisions), opens the lease bucket and wires scheduler → HTTP
 * server (/status, /healthz, /readyz, /metrics). Nothing polls before lifecycle.start().
 */
export async function createGatewayPoller(
  config: GatewayPollerConfig,
  deps: ServiceDeps,
): Promise<GatewayPoller> {
  const { logger } = deps;
  const names = natsNames(config.EP_NATS_PREFIX);
  const registry = new Registry();
  const lifecycle = serviceLifecycle(deps);
  const db = createDb<GatewayDatabase>({
    url: config.DATABASE_URL,
    logger,
    max: 4,
    applicationName: 'gateway-poller',
  });
  lifecycle.add({ name: 'postgres', stop: () => db.destroy() });
  const nc = await connectNats({ url: config.NATS_URL, name: 'gateway-poller', logger });
  lifecycle.add({ name: 'nats', stop: () => nc.drain() });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const specs = streamSpecs(config.EP_NATS_PREFIX);
  await ensureStream(jsm, specs.readings);

  const metrics = createPollerMetrics(registry);
  const leases = await openLeases({
    nc,
    bucket: names.buckets.gatewayLeases,
    leaseMs: config.EP_GATEWAY_LEASE_MS,
    replicaId: config.EP_GATEWAY_REPLICA_ID,
    logger,
  });
  const scheduler = new Scheduler({
    db,
    nc,
    prefix: config.EP_NATS_PREFIX,
    leases,
    metrics,
    logger,
    replicaId: config.EP_GATEWAY_REPLICA_ID,
    secretsDir: config.EP_GATEWAY_SECRETS_DIR,
    tickMs: config.EP_GATEWAY_TICK_MS,
    renewMs: Math.max(100, Math.floor(config.EP_GATEWAY_LEASE_MS / 3)),
    timeoutMs: config.EP_GATEWAY_HTTP_TIMEOUT_MS,
    maxRelogins: config.EP_GATEWAY_MAX_RELOGINS,
    concurrency: config.EP_GATEWAY_CONCURRENCY,
    context: {
      db,
      sink: {
        // The cursor moves only after these resolve: publish() returns once the stream stored it.
        async publishReadings(gw, batch) {
          await publish(js, names.subjects.readings(gw.vendor, gw.site), batch, { msgID: batch.batchId });
        },
      },
      onRejected: (gw, count) => metrics.rejectedParts.inc({ gateway: gw.name }, count),
      onBackfillDay: (gw) => metrics.backfillDays.inc({ gateway: gw.name }),
    },
  });

  const server = await createHttpServer({
    logger,
    name: 'gateway-poller',
    docs: false,
    ops: {
      registry,
      checks: [
        { name: 'postgres', check: () => pingDb(db) },
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
  registerStatusRoute(server, {
    db,
    replicaId: config.EP_GATEWAY_REPLICA_ID,
    held: () => scheduler.heldGateways(),
  });

  lifecycle.add(
    { name: 'scheduler', start: () => scheduler.start(), stop: () => scheduler.stop() },
    httpResource(server, { port: config.PORT }),
  );
  return { lifecycle, server, scheduler, db, nc, registry };
}
