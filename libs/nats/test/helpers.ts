import { createLogger, silentLogger, type Logger } from '@ep/logger';
import { infraUrls, uniquePrefix } from '@ep/testkit';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  connectNats,
  ensureConsumer,
  ensureStream,
  type ConsumerLoop,
  type ConsumerSpec,
} from '../src/index.js';

/** Silent unless EP_TEST_LOG names a level, for reading what a failing test did. */
export function testLogger(): Logger {
  const level = process.env['EP_TEST_LOG'];
  return level ? createLogger({ name: 'nats-test', level }) : silentLogger();
}

export interface TestStream {
  name: string;
  /** A subject the stream captures. */
  subject: string;
  durable: string;
}

export interface NatsFixture {
  prefix: string;
  natsUrl: string;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** A fresh stream (deleted by close()) with one durable pull consumer. */
  stream(consumer?: Partial<ConsumerSpec>): Promise<TestStream>;
  /** Registers a loop for close() to stop, and returns it. */
  track(loop: ConsumerLoop): ConsumerLoop;
  close(): Promise<void>;
}

/** One per test file: its own prefix, connection and streams on the real server. */
export async function natsFixture(label: string): Promise<NatsFixture> {
  const prefix = uniquePrefix(label);
  const natsUrl = infraUrls().natsUrl;
  const nc = await connectNats({ url: natsUrl, name: `test-${label}`, logger: testLogger() });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const streams: string[] = [];
  const loops: ConsumerLoop[] = [];
  return {
    prefix,
    natsUrl,
    nc,
    js,
    jsm,
    async stream(consumer = {}) {
      const n = streams.length + 1;
      const name = `${prefix.toUpperCase()}_S${n}`;
      await ensureStream(jsm, {
        name,
        subjects: [`${prefix}.s${n}.>`],
        maxAgeMs: 3_600_000,
        duplicateWindowMs: 60_000,
      });
      streams.push(name);
      const spec: ConsumerSpec = { durable: 'worker', ackWaitMs: 2_000, maxAckPending: 100, ...consumer };
      await ensureConsumer(jsm, name, spec);
      return { name, subject: `${prefix}.s${n}.site`, durable: spec.durable };
    },
    track(loop) {
      loops.push(loop);
      return loop;
    },
    async close() {
      for (const loop of loops) await loop.stop();
      for (const name of streams) await jsm.streams.delete(name).catch(() => undefined);
      await nc.close();
    },
  };
}

/** Identity decode for tests that only care about the bytes. */
export const text = (d: { data: Uint8Array }) => new TextDecoder().decode(d.data);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
