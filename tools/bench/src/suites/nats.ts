/**
 * Suite `nats`: JetStream publish rate through libs/nats `publish()` (JSON encoding, msgID,
 * retry wrapper) next to the bare `js.publish()` of the very same messages, in the same run, on
 * the same connection and stream. Two payloads (a small batch and a ~20 KB readings batch, the
 * size a poll or a CSV chunk produces) and two ways of publishing (one at a time, as a poller
 * does, and with a window of publishes in flight, as an upload's chunks go out).
 */
import { silentLogger } from '@ep/logger';
import { connectNats, ensureStream, publish } from '@ep/nats';
import { infraUrls, uniquePrefix } from '@ep/testkit';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import type { BenchContext, Suite } from '../harness.js';

/** Publishes in flight at once in the windowed runs. */
const WINDOW = 32;

/** A readings batch (ARCHITECTURE §2) of about `targetBytes` of JSON. */
function readingsBatch(targetBytes: number): object {
  const start = Date.parse('2026-01-05T00:00:00Z');
  const batch = {
    v: 1,
    batchId: 'siemens:bench:0',
    source: 'siemens',
    site: 'carleton',
    producedAt: new Date(start).toISOString(),
    origin: { uploadId: 'bench', file: 'boliou1_11-30-18_02-00.csv' },
    points: [] as object[],
  };
  for (let p = 0; JSON.stringify(batch).length < targetBytes; p++) {
    const samples: [string, number | null, number][] = [];
    batch.points.push({
      node: 'RECCNTR',
      device: `AH${p}`,
      parameter: 'CCV',
      name: `RECCNTR.AH${p}.CCV`,
      unit: '%',
      kind: 'sampled',
      samples,
    });
    for (let s = 0; s < 96 && JSON.stringify(batch).length < targetBytes; s++) {
      samples.push([
        new Date(start + s * 900_000).toISOString(),
        Math.round(Math.sin(p + s) * 10_000) / 100,
        0,
      ]);
    }
  }
  return batch;
}

type PublishOne = (i: number) => Promise<unknown>;

/** Publishes `n` messages with at most `window` in flight; returns messages per second. */
async function rate(n: number, window: number, publishOne: PublishOne): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(window, n) }, async () => {
      while (next < n) await publishOne(next++);
    }),
  );
  return (n * 1000) / (performance.now() - started);
}

interface Scenario {
  label: string;
  payload: object;
  window: number;
  count: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function measure(
  ctx: BenchContext,
  js: JetStreamClient,
  purge: () => Promise<unknown>,
  subject: string,
  s: Scenario,
): Promise<void> {
  // Several short interleaved rounds and the median of each side: on a shared machine a burst
  // of someone else's work then skews one round, not the result.
  const rounds = ctx.quick ? 1 : 5;
  const libRates: number[] = [];
  const rawRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Unique msgIDs per message and run: every publish is stored, none is a duplicate.
    const raw: PublishOne = (i) =>
      js.publish(subject, JSON.stringify(s.payload), { msgID: `${s.label}:${round}:raw:${i}` });
    const lib: PublishOne = (i) => publish(js, subject, s.payload, { msgID: `${s.label}:${round}:lib:${i}` });
    // Alternate which goes first, so neither always meets a fresher (or fuller) stream.
    const first = round % 2 === 0 ? 'raw' : 'lib';
    for (const impl of first === 'raw' ? ['raw', 'lib'] : ['lib', 'raw']) {
      const r = await rate(s.count, s.window, impl === 'raw' ? raw : lib);
      (impl === 'raw' ? rawRates : libRates).push(r);
      await purge();
    }
  }
  const value = median(libRates);
  const baseline = median(rawRates);
  ctx.log(`${s.label}: libs/nats ${value.toFixed(0)} msg/s, raw ${baseline.toFixed(0)} msg/s`);
  ctx.record({ name: s.label, value, unit: 'msg/s', baseline, higherIsBetter: true });
}

export const natsSuite: Suite = {
  name: 'nats',
  description: 'JetStream publish: libs/nats publish() vs raw js.publish(), small and ~20 KB batches',
  async run(ctx) {
    const prefix = uniquePrefix('bench');
    const stream = `${prefix.toUpperCase()}_BENCH`;
    const subject = `${prefix}.readings.siemens.carleton`;
    const nc = await connectNats({ url: infraUrls().natsUrl, name: 'ep-bench', logger: silentLogger() });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    try {
      // The production shape: file storage, limits retention, a duplicate window tracking msgIDs.
      await ensureStream(jsm, {
        name: stream,
        subjects: [`${prefix}.>`],
        maxAgeMs: 600_000,
        duplicateWindowMs: 120_000,
      });
      const purge = () => jsm.streams.purge(stream);
      const small = readingsBatch(300);
      const large = readingsBatch(20_000);
      const bytes = (p: object) => JSON.stringify(p).length;
      const n = (quick: number, full: number) => (ctx.quick ? quick : full);
      const scenarios: Scenario[] = [
        {
          label: `publish ${bytes(small)} B, one at a time`,
          payload: small,
          window: 1,
          count: n(300, 2_000),
        },
        {
          label: `publish ${bytes(small)} B, ${WINDOW} in flight`,
          payload: small,
          window: WINDOW,
          count: n(2_000, 10_000),
        },
        { label: `publish ${bytes(large)} B, one at a time`, payload: large, window: 1, count: n(200, 600) },
        {
          label: `publish ${bytes(large)} B, ${WINDOW} in flight`,
          payload: large,
          window: WINDOW,
          count: n(500, 2_000),
        },
      ];
      // Warm up both paths (JIT, the connection's buffers) before anything is measured.
      await rate(200, WINDOW, (i) => js.publish(subject, JSON.stringify(small), { msgID: `warm:raw:${i}` }));
      await rate(200, WINDOW, (i) => publish(js, subject, small, { msgID: `warm:lib:${i}` }));
      await purge();
      for (const scenario of scenarios) await measure(ctx, js, purge, subject, scenario);
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
  },
};
