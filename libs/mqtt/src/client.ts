import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from '@ep/logger';
import {
  connect,
  type IClientOptions,
  type IClientSubscribeOptions,
  type IPublishPacket,
  type MqttClient as RawClient,
} from 'mqtt';

export type QoS = 0 | 1 | 2;

export interface MqttSubscription {
  /**
   * A topic filter; `$share/<group>/<filter>` spreads its messages over the group's members.
   * Mosquitto 2.0 also deals a share to members that are offline with a persistent session:
   * those messages wait in that session until its client returns, and are lost when it expires.
   * So members of a group need client ids that come back (a StatefulSet's pod names).
   */
  topic: string;
  /**
   * Prefer 1: a QoS 2 message is PUBRECed (owned by us, as far as the broker cares) before
   * onMessage runs, and mqtt.js keeps it only in memory until then; at QoS 1 the PUBACK waits for
   * onMessage. The broker delivers at min(publish QoS, subscription QoS).
   */
  qos: QoS;
}

/**
 * Handles one message. Resolving acknowledges it; throwing leaves it unacknowledged for
 * redelivery (see createMqttClient). Messages are handed over in order, one at a time unless
 * maxInFlight allows QoS 1 messages to overlap.
 */
export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => Promise<void>;

export interface MqttClientOptions {
  /** mqtt://, mqtts:// (TLS), ws:// or wss://; credentials go in username/password, not here. */
  url: string;
  username?: string;
  password?: string;
  /**
   * Identifies the persistent session, so it must be stable across restarts and unique per
   * process; defaults to `<name>_<hostname>` (a pod's name in Kubernetes). Two live clients
   * with one id take the session from each other in turn.
   */
  clientId?: string;
  /** In logs and the default clientId. */
  name?: string;
  logger: Logger;
  /** 5 (default) or 4 (MQTT 3.1.1). */
  protocolVersion?: 4 | 5;
  /** PEM files for TLS (mqtts://): a private CA, and a client certificate and key. */
  caPath?: string;
  certPath?: string;
  keyPath?: string;
  subscriptions?: MqttSubscription[];
  /** Required when there are subscriptions. Must not await a QoS 1/2 publish on this same client. */
  onMessage?: MessageHandler;
  /**
   * Keep the session (subscriptions and QoS 1/2 messages missed while away) on the broker
   * between connections (default true). Turn off for a client that only publishes.
   */
  persistentSession?: boolean;
  /** MQTT 5 only: how long the broker keeps the session after a disconnect (default 1 day). */
  sessionExpirySeconds?: number;
  /** Pause between reconnect attempts (default 1 s); also the base of the redelivery backoff. */
  reconnectPeriodMs?: number;
  /** Default 60 s. mqtt.js reads no packet (not even PINGRESP) while onMessage runs, so a
   *  handler slower than about 1.5 keepalives makes it drop and reopen the connection. */
  keepaliveSeconds?: number;
  /** How long stop() waits for a running handler and unacknowledged publishes (default 5 s). */
  stopTimeoutMs?: number;
  /**
   * QoS 1 messages handed to onMessage before the first of them is acknowledged (default 1: one
   * at a time). Each PUBACK still waits for its own handler, and PUBACKs go out in the order the
   * messages came; handlers start in order but overlap. With MQTT 5 this is also the receive
   * maximum, so the broker sends no more unacknowledged messages than that.
   */
  maxInFlight?: number;
}

export interface PublishOptions {
  /** Default 1. */
  qos?: QoS;
  retain?: boolean;
}

export type MqttPublishFailure = 'not-connected' | 'stopped';

/** A publish refused by this client rather than by the broker: retry it later. */
export class MqttPublishError extends Error {
  readonly transient = true;

  constructor(
    readonly reason: MqttPublishFailure,
    message: string,
  ) {
    super(message);
    this.name = 'MqttPublishError';
  }
}

export interface MqttClient {
  readonly name: string;
  readonly clientId: string;
  readonly connected: boolean;
  /**
   * Connects and subscribes. Resolves after the first attempt whatever its outcome: when the
   * broker is unreachable `connected` stays false and mqtt.js keeps retrying. Rejects only
   * when the broker refuses a subscription (a configuration or ACL error).
   */
  start(): Promise<void>;
  /**
   * Lets a running onMessage finish (so its acknowledgement goes out), sends DISCONNECT and
   * closes; the persistent session stays on the broker. Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Resolves when the broker took the message: PUBACK (QoS 1), PUBCOMP (QoS 2), or once written
   * (QoS 0). Rejects at once with MqttPublishError when not connected, instead of queueing in
   * memory; a message already sent when the connection drops is re-sent after reconnecting.
   */
  publish(topic: string, payload: Buffer | string, options?: PublishOptions): Promise<void>;
}

const DAY_SECONDS = 86_400;

interface WindowEntry {
  messageId: number;
  connection: number;
  outcome: 'running' | 'handled' | 'failed';
}

interface RawWithSend {
  _sendPacket(packet: { cmd: 'puback'; messageId: number }, cb?: () => void): void;
}
const MAX_REDELIVERY_DELAY_MS = 30_000;
// What `done` is given for a message the window acknowledges (mqtt.js then sends no PUBACK). One
// instance for all: an Error per message cost a stack trace each, 7% of the handler's CPU in a burst.
const ACKNOWLEDGED_BY_THE_WINDOW = new Error('acknowledged by the window');

/**
 * An MQTT client whose QoS 1/2 messages are acknowledged only after `onMessage` resolved.
 *
 * mqtt.js calls `handleMessage` (overridden here) before it sends PUBACK (QoS 1) or PUBCOMP
 * (QoS 2, after PUBREL), for MQTT 3.1.1 and 5 alike, and reads no further packet until it is
 * done; so messages are handled one at a time. With `maxInFlight` > 1, QoS 1 messages are taken
 * out of that sequence: mqtt.js is told not to acknowledge them and reads on, and the PUBACKs
 * are written here in arrival order as handlers finish (on the same connection only). `customHandleAcks` is not used: mqtt.js ignores it
 * below MQTT 5, and its only way to refuse is a PUBACK with an error reason code, after which
 * the broker discards the message (checked against Mosquitto 2.0).
 *
 * When onMessage throws, the message is left unacknowledged and, after a backoff, the connection
 * is dropped: Mosquitto resends unacknowledged messages (DUP set) only when a session resumes,
 * never on a live connection (3.1.1 and 5 alike). Later messages of the same connection are not
 * handled in the meantime; they come back too. So a handler should throw only for transient
 * failures (e.g. NATS unavailable) and record bad input as data: a message that always throws
 * comes back forever.
 */
export function createMqttClient(options: MqttClientOptions): MqttClient {
  const name = options.name ?? 'mqtt';
  const clientId = options.clientId ?? `${name}_${hostname()}`;
  const protocolVersion = options.protocolVersion ?? 5;
  const persistent = options.persistentSession ?? true;
  const reconnectPeriodMs = options.reconnectPeriodMs ?? 1_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const subscriptions = options.subscriptions ?? [];
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const logger = options.logger.child({ component: name, clientId });
  if (subscriptions.length > 0 && !options.onMessage) {
    throw new Error(`${name}: subscriptions need an onMessage handler`);
  }

  let raw: RawClient | undefined;
  let stopping: Promise<void> | undefined;
  // Handlers currently running; stop() lets them finish.
  const running = new Set<Promise<void>>();
  // QoS 1 messages handed over with maxInFlight > 1, in arrival order, until their PUBACK is due.
  const window: WindowEntry[] = [];
  // Lets mqtt.js read the next packet once the window has room again.
  let resumeReading: (() => void) | undefined;
  // Counts connections: a PUBACK belongs to the connection its message came on. After a new
  // CONNECT the broker resends unacknowledged messages itself, and a packet id may be reused.
  let connection = 0;
  // After a handler failure: skip (leave unacknowledged) until the connection is renewed.
  let redeliveryPending = false;
  let redeliveryTimer: NodeJS.Timeout | undefined;
  let failuresInARow = 0;
  const pendingPublishes = new Set<(err: Error) => void>();

  async function clientOptions(): Promise<IClientOptions> {
    const [ca, cert, key] = await Promise.all(
      [options.caPath, options.certPath, options.keyPath].map((path) => (path ? readFile(path) : undefined)),
    );
    return {
      clientId,
      username: options.username,
      password: options.password,
      protocolVersion,
      clean: !persistent,
      // MQTT 5 ends a session when its connection closes unless given an expiry.
      properties:
        protocolVersion === 5
          ? {
              ...(persistent ? { sessionExpiryInterval: options.sessionExpirySeconds ?? DAY_SECONDS } : {}),
              ...(maxInFlight > 1 ? { receiveMaximum: Math.min(maxInFlight, 65_535) } : {}),
            }
          : undefined,
      reconnectPeriod: reconnectPeriodMs,
      keepalive: options.keepaliveSeconds ?? 60,
      // We subscribe on every connect ourselves (below).
      resubscribe: false,
      // A publish while offline is refused by publish(), never parked in memory.
      queueQoSZero: false,
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
    };
  }

  function subscribe(client: RawClient): Promise<void> {
    if (subscriptions.length === 0) return Promise.resolve();
    const map: Record<string, IClientSubscribeOptions> = {};
    // rh 1 (MQTT 5): send retained messages only for a new subscription, not on every reconnect.
    for (const s of subscriptions)
      map[s.topic] = protocolVersion === 5 ? { qos: s.qos, rh: 1 } : { qos: s.qos };
    return client.subscribeAsync(map).then((granted) => {
      const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0)
        throw new Error(`${name}: the broker refused the subscription to ${refused.join(', ')}`);
      logger.info({ subscriptions: granted.map((g) => `${g.topic} (qos ${g.qos})`) }, 'subscribed');
    });
  }

  function requestRedelivery(client: RawClient): void {
    if (redeliveryPending) return;
    redeliveryPending = true;
    const delayMs = Math.min(
      MAX_REDELIVERY_DELAY_MS,
      reconnectPeriodMs * 2 ** Math.min(failuresInARow - 1, 16),
    );
    logger.warn({ delayMs }, 'will reconnect so that the broker redelivers unacknowledged messages');
    redeliveryTimer = setTimeout(() => {
      redeliveryTimer = undefined;
      if (!stopping) client.stream.destroy();
    }, delayMs);
  }

  function handleMessage(client: RawClient, packet: IPublishPacket, done: (err?: Error) => void): void {
    const { topic, qos, messageId, dup } = packet;
    const onMessage = options.onMessage;
    // Unacknowledged, a QoS 1/2 message comes back when the session resumes; QoS 0 is just lost.
    if (stopping || (qos > 0 && redeliveryPending)) {
      done(new Error('left for redelivery'));
      return;
    }
    if (!onMessage) {
      // A resumed session can still carry subscriptions of an older configuration.
      logger.warn({ topic }, 'message without a handler; acknowledged and dropped');
      done();
      return;
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (qos === 1 && maxInFlight > 1 && messageId !== undefined) {
      handleInWindow(client, packet, payload, onMessage, done);
      return;
    }
    const handling = (async () => onMessage(topic, payload, packet))();
    track(
      handling.then(
        () => {
          failuresInARow = 0;
          done();
        },
        (err: unknown) => {
          if (qos === 0) {
            // There is nothing to withhold at QoS 0: the message is gone.
            logger.error({ err, topic, qos }, 'message handler failed; QoS 0 message dropped');
            done();
            return;
          }
          failuresInARow += 1;
          logger.error(
            { err, topic, qos, messageId, dup },
            'message handler failed; message left unacknowledged',
          );
          requestRedelivery(client);
          done(err instanceof Error ? err : new Error(String(err)));
        },
      ),
    );
  }

  function track(promise: Promise<void>): void {
    running.add(promise);
    void promise.finally(() => running.delete(promise));
  }

  /**
   * A QoS 1 message handled while later ones are read: mqtt.js is told the message needs no
   * PUBACK from it (`done` with an error sends none and reads on), and the PUBACK is written here
   * once the handler resolved and every earlier message of the window is settled.
   */
  function handleInWindow(
    client: RawClient,
    packet: IPublishPacket,
    payload: Buffer,
    onMessage: MessageHandler,
    done: (err?: Error) => void,
  ): void {
    const entry: WindowEntry = { messageId: packet.messageId!, connection, outcome: 'running' };
    window.push(entry);
    track(
      (async () => onMessage(packet.topic, payload, packet))().then(
        () => {
          failuresInARow = 0;
          entry.outcome = 'handled';
          flushWindow(client);
        },
        (err: unknown) => {
          failuresInARow += 1;
          logger.error(
            { err, topic: packet.topic, qos: 1, messageId: packet.messageId, dup: packet.dup },
            'message handler failed; message left unacknowledged',
          );
          entry.outcome = 'failed';
          requestRedelivery(client);
          flushWindow(client);
        },
      ),
    );
    if (window.length < maxInFlight) done(ACKNOWLEDGED_BY_THE_WINDOW);
    else resumeReading = () => done(ACKNOWLEDGED_BY_THE_WINDOW);
  }

  function flushWindow(client: RawClient): void {
    while (window.length > 0 && window[0]!.outcome !== 'running') {
      const entry = window.shift()!;
      if (entry.outcome === 'handled' && entry.connection === connection && client.connected) {
        // mqtt.js has no public call for a PUBACK of its own; this is what its publish handler does.
        (client as unknown as RawWithSend)._sendPacket({ cmd: 'puback', messageId: entry.messageId });
      }
    }
    if (resumeReading && window.length < maxInFlight) {
      const resume = resumeReading;
      resumeReading = undefined;
      resume();
    }
  }

  function attach(client: RawClient): void {
    client.handleMessage = (packet, done) => handleMessage(client, packet, done);
    client.on('connect', (connack) => {
      connection += 1;
      redeliveryPending = false;
      logger.info({ sessionPresent: connack.sessionPresent }, 'connected');
    });
    client.on('reconnect', () => logger.debug('reconnecting'));
    client.on('close', () => {
      // Any lost connection resumes the session, which is what the redelivery timer wanted.
      clearTimeout(redeliveryTimer);
      redeliveryTimer = undefined;
      if (!stopping) logger.warn('connection closed');
    });
    client.on('offline', () => logger.warn('offline'));
    client.on('disconnect', (packet) =>
      logger.warn({ reasonCode: packet.reasonCode }, 'broker sent DISCONNECT'),
    );
    // Without a listener an 'error' event would crash the process; mqtt.js reconnects by itself.
    client.on('error', (err) => logger.warn({ err }, 'client error'));
  }

  /** Waits for `promise` at most stopTimeoutMs; false when it did not settle in time. */
  async function withTimeout(promise: Promise<unknown>, what: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), stopTimeoutMs)),
    );
    const outcome = await Promise.race([promise.catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return true;
    logger.warn({ stopTimeoutMs }, `stop: gave up waiting for ${what}`);
    return false;
  }

  return {
    name,
    clientId,
    get connected() {
      return raw?.connected ?? false;
    },

    async start() {
      if (raw || stopping) return;
      const client = connect(options.url, await clientOptions());
      raw = client;
      attach(client);
      // Subscribe on every connect: a new session has none, and a resumed one may predate a
      // change of the subscription list. Re-subscribing to an existing filter is harmless.
      const firstSubscribe = new Promise<void>((resolve, reject) => {
        let first = true;
        client.on('connect', () => {
          const subscribed = subscribe(client);
          if (first) subscribed.then(resolve, reject);
          else subscribed.catch((err: unknown) => logger.error({ err }, 'subscribe failed'));
          first = false;
        });
        // The first attempt failed: report disconnected and let mqtt.js keep trying.
        client.once('close', () => {
          if (first) resolve();
        });
      });
      await firstSubscribe;
      if (!client.connected) logger.warn('broker unreachable at start; retrying in the background');
    },

    stop() {
      stopping ??= (async () => {
        clearTimeout(redeliveryTimer);
        const client = raw;
        if (client) {
          if (running.size > 0)
            await withTimeout(Promise.allSettled([...running]), 'the running message handlers');
          // A graceful end waits for our unacknowledged publishes, which never completes offline.
          const ended = await withTimeout(client.endAsync(!client.connected), 'unacknowledged publishes');
          // end() cannot be forced once a graceful end is under way; closing the socket can.
          if (!ended) client.stream.destroy();
        }
        for (const reject of pendingPublishes) reject(new MqttPublishError('stopped', `${name} stopped`));
        pendingPublishes.clear();
        logger.info('stopped');
      })();
      return stopping;
    },

    async publish(topic, payload, { qos = 1, retain = false } = {}) {
      if (stopping) throw new MqttPublishError('stopped', `${name} is stopped`);
      const client = raw;
      if (!client?.connected)
        throw new MqttPublishError('not-connected', `${name} is not connected to the broker`);
      await new Promise<void>((resolve, reject) => {
        pendingPublishes.add(reject);
        client.publish(topic, payload, { qos, retain }, (err) => {
          pendingPublishes.delete(reject);
          if (err) reject(err);
          else resolve();
        });
      });
    },
  };
}
