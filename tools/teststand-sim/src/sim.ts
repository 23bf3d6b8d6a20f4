import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { dataMessage, malformedMessage, statusMessage, type MalformedKind } from './messages.js';

export interface SimOptions {
  url: string;
  /** One broker user per stand (ep teststands add) or one shared user; absent on an open broker. */
  credentials?: (stand: string) => { username: string; password: string } | undefined;
  stands: string[];
  /** Module of every stand's topics (`<stand>/<module>/Inbound`). */
  module: string;
  /** Send a status 200 this often, in ms; 0: only in answer to commands. */
  statusEveryMs?: number;
  /** Speeds up `wait` for tests: the data package follows after wait × this many ms (default 1000). */
  msPerWaitSecond?: number;
  /** Every command a stand received, for tests and the CLI's log. */
  onCommand?: (stand: string, command: unknown) => void;
  /**
   * Also send a data message this often, in ms (0 or absent: never), each naming itself by
   * `parameterObj: { seq, sentAt }` (seq counts per stand from 0): the steady load of the system
   * test and the soak.
   */
  dataEveryMs?: number;
}

/** A message the broker acknowledged (PUBACK): what a stand is known to have sent. */
export interface SentMessage {
  stand: string;
  topic: string;
  payload: string;
  /** When the broker acknowledged it (epoch ms). */
  ackedAt: number;
}

export interface StandSim {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publishes `kind` of malformed message from `stand`. */
  sendMalformed(stand: string, kind: MalformedKind): Promise<void>;
  /** Sends a status code (≥ 600 is power: 600 on, 610 off). */
  sendStatus(stand: string, statusCode: number): Promise<void>;
  /**
   * Every message the broker acknowledged so far, in order: the record a test compares the
   * stored messages with (a publish still unacknowledged when stop() ends it is not in it).
   */
  sent(): SentMessage[];
  /** Stops sending on timers (status, data) and waits for the publishes under way to settle. */
  quiesce(): Promise<void>;
}

const inbound = (stand: string, module: string) =>
  module ? `${stand}/${module}/Inbound` : `${stand}/inbound`;
const outbound = (stand: string, module: string) =>
  module ? `${stand}/${module}/Outbound` : `${stand}/outbound`;

/**
 * N simulated stands, each its own MQTT client. A `start` command is answered as the legacy
 * stands did: status 202 at once, the data package after `wait` seconds, then status 200.
 */
export function createStandSim(options: SimOptions): StandSim {
  const clients = new Map<string, MqttClient>();
  const timers = new Set<NodeJS.Timeout>();
  const msPerWaitSecond = options.msPerWaitSecond ?? 1000;
  let runs = 0;
  let quiet = false;
  const record: SentMessage[] = [];
  const underWay = new Set<Promise<unknown>>();
  const seqs = new Map<string, number>();

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const send = (stand: string, payload: string) => {
    const topic = inbound(stand, options.module);
    const publishing = clients
      .get(stand)!
      .publishAsync(topic, payload, { qos: 1 })
      .then(() => {
        record.push({ stand, topic, payload, ackedAt: Date.now() });
      });
    underWay.add(publishing);
    void publishing.catch(() => undefined).finally(() => underWay.delete(publishing));
    return publishing;
  };

  async function onCommand(stand: string, payload: Buffer): Promise<void> {
    let command: { commandList?: unknown; parameterObj?: Record<string, unknown> };
    try {
      command = JSON.parse(payload.toString('utf8')) as typeof command;
    } catch {
      await send(stand, statusMessage(stand, 400));
      return;
    }
    options.onCommand?.(stand, command);
    const list = Array.isArray(command.commandList) ? command.commandList : [];
    if (!list.includes('start')) {
      await send(stand, statusMessage(stand, 405));
      return;
    }
    await send(stand, statusMessage(stand, 202));
    const wait = Number(command.parameterObj?.['wait'] ?? 0);
    runs += 1;
    const run = runs;
    later(Math.max(0, wait) * msPerWaitSecond, () => {
      const x = Array.from({ length: 10 }, (_, i) => i);
      void send(stand, dataMessage(stand, { ...command.parameterObj, run }, { x, y: x.map((v) => v * v) }))
        .then(() => send(stand, statusMessage(stand, 200)))
        .catch(() => undefined);
    });
  }

  return {
    async start() {
      for (const stand of options.stands) {
        const auth = options.credentials?.(stand);
        const clientOptions: IClientOptions = {
          clientId: `sim_${stand}`,
          protocolVersion: 5,
          reconnectPeriod: 1000,
          ...(auth ? { username: auth.username, password: auth.password } : {}),
        };
        const client = await connectAsync(options.url, clientOptions);
        clients.set(stand, client);
        client.on('message', (_topic, payload) => void onCommand(stand, payload).catch(() => undefined));
        await client.subscribeAsync(outbound(stand, options.module), { qos: 1 });
        await send(stand, statusMessage(stand, 600));
        await send(stand, statusMessage(stand, 200));
        if (options.statusEveryMs) {
          const every = options.statusEveryMs;
          const tick = () =>
            later(every, () => {
              if (quiet) return;
              void send(stand, statusMessage(stand, 200)).catch(() => undefined);
              tick();
            });
          tick();
        }
        if (options.dataEveryMs) {
          const every = options.dataEveryMs;
          const tick = () =>
            later(every, () => {
              if (quiet) return;
              const seq = seqs.get(stand) ?? 0;
              seqs.set(stand, seq + 1);
              const x = [seq, seq + 1, seq + 2];
              void send(
                stand,
                dataMessage(stand, { seq, sentAt: Date.now() }, { x, y: x.map((v) => v * 0.5) }),
              ).catch(() => undefined);
              tick();
            });
          tick();
        }
      }
    },
    sent: () => [...record],
    async quiesce() {
      quiet = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      while (underWay.size > 0) await Promise.allSettled([...underWay]);
    },
    async stop() {
      quiet = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...clients.values()].map((c) => c.endAsync()));
      clients.clear();
    },
    sendMalformed: (stand, kind) => send(stand, malformedMessage(stand, kind)),
    sendStatus: (stand, code) => send(stand, statusMessage(stand, code)),
  };
}

export interface BurstOptions {
  url: string;
  credentials?: (publisher: number) => { username: string; password: string } | undefined;
  /** Messages in all, spread over the publishers. */
  count: number;
  publishers: number;
  /** Values in each message's data series (default 3). */
  values?: number;
  /** Unacknowledged QoS 1 publishes per publisher at once (default 500). */
  window?: number;
  /** Topic of publisher p (default `bench<p>/burst/Inbound`). */
  topic?: (publisher: number) => string;
}

/**
 * A QoS 1 burst for benchmarks and crash tests: message `seq` (0…count-1) carries
 * `parameterObj: { seq, sentAt }` so a receiver can check each arrived once and time it.
 * Resolves when the broker acknowledged every message, with the first publish time (epoch ms).
 */
export async function burst(options: BurstOptions): Promise<{ firstPublishAt: number; lastAckAt: number }> {
  const values = options.values ?? 3;
  const window = options.window ?? 500;
  const topic = options.topic ?? ((p: number) => `bench${p}/burst/Inbound`);
  const clients = await Promise.all(
    Array.from({ length: options.publishers }, (_, p) => {
      const auth = options.credentials?.(p);
      return connectAsync(options.url, {
        clientId: `burst_${p}_${process.pid}`,
        protocolVersion: 5,
        reconnectPeriod: 0,
        ...(auth ? { username: auth.username, password: auth.password } : {}),
      });
    }),
  );
  let firstPublishAt = 0;
  try {
    firstPublishAt = Date.now();
    await Promise.all(
      clients.map(async (client, p) => {
        const pending: Promise<unknown>[] = [];
        for (let seq = p; seq < options.count; seq += options.publishers) {
          const data = { v: Array.from({ length: values }, (_, i) => seq * (i + 1)) };
          pending.push(
            client.publishAsync(topic(p), dataMessage(`bench${p}`, { seq, sentAt: Date.now() }, data), {
              qos: 1,
            }),
          );
          if (pending.length >= window) await Promise.all(pending.splice(0, pending.length));
        }
        await Promise.all(pending);
      }),
    );
    return { firstPublishAt, lastAckAt: Date.now() };
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
}
