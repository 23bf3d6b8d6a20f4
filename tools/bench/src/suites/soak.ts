/**
 * Suite `soak`: the whole system (tools/system: six services as deployed, every source
 * simulated) at a set load for `--minutes N` (default 30; `--quick` 1), no faults. Prints
 * throughput, source-to-AMQP latency p50/p99 (a stand's publish → its event on the queue; an
 * upload's first post → its last batch on the queue), each service's RSS over time (first,
 * last, peak, slope over the run after the first fifth) and what was lost or duplicated at the
 * end (the system test's audit). A leak shows as a slope that stays above zero on a longer run.
 */
import { settledAudit, formatAudit, SERVICES, startSystem, type System } from '@ep/system';
import { readFile } from 'node:fs/promises';
import type { BenchContext, Suite } from '../harness.js';
import { buildServices } from '../services.js';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/** Resident set size of a process in MB (Linux /proc), or undefined once it has gone. */
async function rssMb(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Source → AMQP latencies (ms) of the stands' data messages and of the uploads. */
function latencies(system: System): { stands: number[]; files: number[] } {
  const stands: number[] = [];
  const lastOfUpload = new Map<string, number>();
  for (const m of system.amqp.messages) {
    const body = m.body as {
      type?: string;
      event?: { raw?: string; kind?: string };
      origin?: { uploadId?: string } | null;
    };
    if (body?.type === 'teststand.stored' && body.event?.kind === 'data' && body.event.raw) {
      try {
        const sentAt = (JSON.parse(body.event.raw) as { parameterObj?: { sentAt?: number } }).parameterObj
          ?.sentAt;
        if (typeof sentAt === 'number') stands.push(m.receivedAt - sentAt);
      } catch {
        // not a stand's JSON
      }
    }
    const uploadId = body?.origin?.uploadId;
    if (body?.type === 'readings.stored' && uploadId)
      lastOfUpload.set(uploadId, Math.max(lastOfUpload.get(uploadId) ?? 0, m.receivedAt));
  }
  const files: number[] = [];
  for (const p of system.uploader.posted) {
    const last = p.uploadId ? lastOfUpload.get(p.uploadId) : undefined;
    if (last !== undefined) files.push(last - p.postedAt);
  }
  return { stands: stands.sort((a, b) => a - b), files: files.sort((a, b) => a - b) };
}

export const soakSuite: Suite = {
  name: 'soak',
  description:
    'the whole system at a set load for --minutes N (default 30): throughput, source→AMQP p99, RSS of each service over time, lost/duplicated',
  async run(ctx: BenchContext) {
    const minutes = ctx.quick ? 1 : Number(ctx.options['minutes'] ?? 30);
    if (!(minutes > 0)) throw new Error(`--minutes must be a number > 0, got ${ctx.options['minutes']}`);
    const load = {
      gatewaySites: 3,
      prefectNodes: 10,
      secureZones: 4,
      pollIntervalS: 10,
      reportIntervalS: 10,
      stands: 5,
      standDataEveryMs: 100,
      standStatusEveryMs: 5_000,
      uploadEveryMs: 5_000,
      uploadPoints: 5,
      uploadSamples: 200,
      fixtures: false,
    };
    ctx.log(
      `load: ${load.gatewaySites} sites × (Prefect ${load.prefectNodes} nodes + Secure ${load.secureZones} zones) polled every ${load.pollIntervalS} s; ` +
        `${load.stands} stands × ${1000 / load.standDataEveryMs} data msg/s; a ${load.uploadPoints}×${load.uploadSamples} CSV every ${load.uploadEveryMs / 1000} s`,
    );
    ctx.log('compiling the services (tsc -b)');
    buildServices(...SERVICES);
    const system = await startSystem({
      label: 'soak',
      mode: 'dist',
      load,
      log: ctx.log,
    });
    try {
      const started = Date.now();
      const rss = new Map<string, [number, number][]>(SERVICES.map((s) => [s, []]));
      const sampleRss = async () => {
        const t = (Date.now() - started) / 60_000;
        for (const name of SERVICES) {
          const mb = await rssMb(system.services[name].process.proc.pid);
          if (mb !== undefined) rss.get(name)!.push([t, mb]);
        }
      };
      const sampleEveryMs = Math.max(5_000, Math.min(30_000, (minutes * 60_000) / 60));
      const until = started + minutes * 60_000;
      let nextReport = started + 60_000;
      while (Date.now() < until) {
        await sampleRss();
        if (Date.now() >= nextReport) {
          nextReport += 60_000;
          const line = SERVICES.map((s) => `${s} ${rss.get(s)!.at(-1)?.[1].toFixed(0) ?? '?'}`).join(', ');
          ctx.log(
            `${((Date.now() - started) / 60_000).toFixed(0)} min: ${system.amqp.messages.length} AMQP messages; RSS MB ${line}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(sampleEveryMs, until - Date.now())));
      }
      await sampleRss();
      const elapsedS = (Date.now() - started) / 1000;
      const delivered = system.amqp.messages.length;
      await system.stopSources();

      const audit = await settledAudit(system, 120_000);
      ctx.log(`at the end:\n${formatAudit(audit)}`);
      for (const p of audit.problems) ctx.log(`PROBLEM ${p}`);

      const a = audit;
      const values = a.gateways.produced + a.files.produced;
      ctx.record({
        name: 'values stored/s (gateways + files)',
        value: (a.gateways.stored + a.files.stored) / elapsedS,
        unit: 'values/s',
        baseline: 0,
      });
      ctx.record({
        name: 'stand messages stored/s',
        value: a.stands.stored / elapsedS,
        unit: 'msg/s',
        baseline: 0,
      });
      ctx.record({ name: 'AMQP messages/s', value: delivered / elapsedS, unit: 'msg/s', baseline: 0 });
      const lat = latencies(system);
      for (const [what, list] of [
        ['stand → AMQP', lat.stands],
        ['upload → AMQP', lat.files],
      ] as const) {
        ctx.record({
          name: `${what} p50`,
          value: percentile(list, 50),
          unit: 'ms',
          baseline: 0,
          higherIsBetter: false,
        });
        ctx.record({
          name: `${what} p99`,
          value: percentile(list, 99),
          unit: 'ms',
          baseline: 0,
          higherIsBetter: false,
        });
      }
      const lost =
        a.gateways.missing.length + a.files.missing.length + a.stands.missing.length + a.amqp.missing.length;
      const duplicated = a.gateways.extra.length + a.files.extra.length + a.stands.extra.length;
      ctx.record({
        name: `lost (of ${values} values, ${a.stands.produced} messages, ${a.amqp.facts} facts)`,
        value: lost,
        unit: 'count',
        baseline: 0,
        higherIsBetter: false,
      });
      ctx.record({
        name: 'stored twice',
        value: duplicated,
        unit: 'count',
        baseline: 0,
        higherIsBetter: false,
      });
      ctx.record({
        name: 'AMQP repeats (same message_id)',
        value: a.amqp.duplicates,
        unit: 'count',
        baseline: 0,
        higherIsBetter: false,
      });
      for (const name of SERVICES) {
        const series = rss.get(name)!;
        const first = series[0]?.[1] ?? 0;
        const last = series.at(-1)?.[1] ?? 0;
        const peak = Math.max(...series.map(([, mb]) => mb));
        // After the first fifth: start-up and first allocations are not a leak.
        const warm = series.filter(([t]) => t >= minutes / 5);
        // The ratio of the last to the first reading shows the growth.
        ctx.record({
          name: `${name} RSS last (first as baseline)`,
          value: last,
          unit: 'MB',
          baseline: first,
          higherIsBetter: false,
        });
        ctx.record({ name: `${name} RSS peak`, value: peak, unit: 'MB', baseline: 0, higherIsBetter: false });
        ctx.record({
          name: `${name} RSS slope`,
          value: slope(warm),
          unit: 'MB/min',
          baseline: 0,
          higherIsBetter: false,
        });
      }
    } finally {
      await system.close();
    }
  },
};
