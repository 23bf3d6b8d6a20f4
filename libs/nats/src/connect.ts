import type { Logger } from '@ep/logger';
import type { NatsConnection, Status } from '@nats-io/nats-core';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface ConnectNatsOptions {
  /** NATS_URL: one URL or several comma-separated (a cluster's seed servers). */
  url: string;
  /** Connection name shown by the server (`nats server report connections`); use the service name. */
  name: string;
  logger: Logger;
  /** Pause between reconnect attempts, in ms (nats.js default 2000); tests shorten it. */
  reconnectTimeWaitMs?: number;
  /** Anything else nats.js accepts (TLS, credentials, ping interval…); wins over the defaults here. */
  connectOptions?: Omit<NodeConnectionOptions, 'servers' | 'name'>;
}

/**
 * Connects to NATS and keeps reconnecting for ever (a service must outlive a NATS restart or
 * a network blip), logging every change of connection state. The first connect is not retried:
 * a service that cannot reach NATS at boot fails fast and Kubernetes restarts it with backoff.
 */
export async function connectNats(options: ConnectNatsOptions): Promise<NatsConnection> {
  const servers = options.url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const log = options.logger.child({ nats: options.name });
  const nc = await connect({
    servers,
    name: options.name,
    maxReconnectAttempts: -1,
    // nats.js otherwise captures a stack trace for every request, including each ackAck(): that
    // tripled the per-message CPU cost of our consumers (notifier profile), for stacks we never read.
    noAsyncTraces: true,
    ...(options.reconnectTimeWaitMs !== undefined ? { reconnectTimeWait: options.reconnectTimeWaitMs } : {}),
    ...options.connectOptions,
  });
  log.info({ server: nc.getServer(), version: nc.info?.version }, 'nats connected');
  void logStatus(nc, log);
  void nc.closed().then((err) => {
    if (err) log.error({ err }, 'nats connection closed with an error');
    else log.info('nats connection closed');
  });
  return nc;
}

async function logStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) logStatusEvent(log, status);
}

function logStatusEvent(log: Logger, s: Status): void {
  switch (s.type) {
    case 'disconnect':
      log.warn({ server: s.server }, 'nats disconnected; reconnecting');
      return;
    case 'reconnect':
      log.info({ server: s.server }, 'nats reconnected');
      return;
    case 'reconnecting':
      log.debug('nats reconnect attempt');
      return;
    case 'ldm':
      // The server is entering lame-duck mode (rolling restart): clients move elsewhere.
      log.warn({ server: s.server }, 'nats server in lame-duck mode');
      return;
    case 'error':
      log.error({ err: s.error }, 'nats async error');
      return;
    case 'staleConnection':
      log.warn('nats connection stale (pings unanswered); reconnecting');
      return;
    case 'slowConsumer':
      log.warn({ subject: s.sub.getSubject(), pending: s.pending }, 'nats slow consumer: messages dropped');
      return;
    case 'forceReconnect':
      log.info('nats reconnect forced');
      return;
    case 'update':
      log.debug({ added: s.added, deleted: s.deleted }, 'nats cluster servers changed');
      return;
    case 'ping':
    case 'close':
      // close is logged from nc.closed(), which also carries the error.
      return;
  }
}
