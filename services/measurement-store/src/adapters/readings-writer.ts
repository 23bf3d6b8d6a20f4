import type { StoredReadings, StoredSetpoint } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import type pg from 'pg';
import { claimBatches, countStagedPerBatch, setBatchCounts } from '../db/batches.repo.js';
import { copyMeasurements, copyRows, upsertStagedSamples } from '../db/measurements.repo.js';
import { ensurePartitions, listPartitions } from '../db/partitions.repo.js';
import { lockPoints, refreshPointExtent, upsertPoints, type PointExtent } from '../db/points.repo.js';
import { refreshRollups } from '../db/rollups.repo.js';
import { insertSetpointEvents } from '../db/setpoint-events.repo.js';
import { clearStaging, prepareSession, type SqlClient } from '../db/session.js';
import { addUploadProgress, type UploadProgress } from '../db/upload-progress.repo.js';
import {
  batchRows,
  hourlyAggregates,
  isAppend,
  mergePoints,
  monthsTouched,
  partitionName,
  pointKey,
  sampleCount,
  sampleTimes,
  splitRounds,
  storedEvent,
  storedSetpoints,
  type AcceptedBatch,
  type BatchCounts,
  type DroppedSample,
  type HourAggregate,
  type PointUpsert,
  type RegisteredPoint,
  type SampleRow,
} from '../domain/readings.js';
import type { StoreMetrics } from './metrics.js';

export interface WriteResult {
  /** One stored event per input batch, in input order. */
  events: StoredReadings[];
  /** The set-point changes the batches carried (replays' included), committed with them. */
  setpoints: StoredSetpoint[];
  /** Samples refused per batch (unusable timestamps); the rest of each batch is stored. */
  dropped: { batchId: string; samples: DroppedSample[] }[];
}

export interface ReadingsWriter {
  /** Stores the batches in one transaction; resolves once committed. */
  write(batches: readonly AcceptedBatch[]): Promise<WriteResult>;
}

const HOUR_MS = 3_600_000;

// Deadlock and serialization failures: the transaction did nothing, so it is simply run again.
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

/** Per point: earliest and latest sample of the rows, with the latest one's value. */
function extents(rows: readonly SampleRow[]): PointExtent[] {
  const byPoint = new Map<number, PointExtent>();
  for (const r of rows) {
    const e = byPoint.get(r.pointId);
    if (!e)
      byPoint.set(r.pointId, {
        pointId: r.pointId,
        firstMs: r.ms,
        lastMs: r.ms,
        lastValue: r.value,
        lastQuality: r.quality,
      });
    else {
      if (r.ms < e.firstMs) e.firstMs = r.ms;
      if (r.ms > e.lastMs) {
        e.lastMs = r.ms;
        e.lastValue = r.value;
        e.lastQuality = r.quality;
      }
    }
  }
  return [...byPoint.values()].sort((a, b) => a.pointId - b.pointId);
}

export function createReadingsWriter(deps: {
  pool: pg.Pool;
  logger: Logger;
  metrics?: StoreMetrics;
}): ReadingsWriter {
  const { pool, logger, metrics } = deps;
  // Partitions known to exist; a miss is checked (and created) once, outside the transaction.
  let partitions: Set<string> | undefined;

  async function ensureMonths(client: SqlClient, rows: Iterable<number>): Promise<void> {
    partitions ??= new Set(await listPartitions(client));
    const missing = monthsTouched(rows).filter((m) => !partitions!.has(partitionName(m)));
    if (missing.length === 0) return;
    await ensurePartitions(client, missing);
    for (const m of missing) partitions.add(partitionName(m));
    logger.info({ partitions: missing.map(partitionName) }, 'measurement partitions ensured');
  }

  async function attempt(
    client: SqlClient,
    batches: readonly AcceptedBatch[],
    forceStaged: boolean,
  ): Promise<WriteResult> {
    await prepareSession(client);
    // Months of every sample, replays included: creating a partition that exists is a no-op.
    const allMs: number[] = [];
    for (const { batch } of batches)
      for (const p of batch.points) for (const ms of sampleTimes(p).ms) if (!Number.isNaN(ms)) allMs.push(ms);
    await ensureMonths(client, allMs);

    const started = process.hrtime.bigint();
    await client.query('BEGIN');
    try {
      // Sorts of a 50,000-row write stay in memory instead of spilling to disk.
      await client.query("SET LOCAL work_mem = '64MB'");
      // A batch id seen twice in one write (redelivered while in hand) is stored once.
      const firstIndex = new Map<string, number>();
      batches.forEach(({ batch }, i) => {
        if (!firstIndex.has(batch.batchId)) firstIndex.set(batch.batchId, i);
      });
      const fresh = await claimBatches(
        client,
        [...firstIndex.values()].map((i) => {
          const { batch, site } = batches[i]!;
          return {
            batchId: batch.batchId,
            source: batch.source,
            siteId: site.id,
            uploadId: batch.origin?.uploadId ?? null,
            points: batch.points.length,
            samples: sampleCount(batch),
          };
        }),
      );
      const isFresh = (i: number) =>
        fresh.has(batches[i]!.batch.batchId) && firstIndex.get(batches[i]!.batch.batchId) === i;

      // Replays carry old metadata: they only need their points' ids, never to re-apply it.
      const freshBatches = batches.filter((_, i) => isFresh(i));
      const metadata = mergePoints(freshBatches);
      const known = new Set(metadata.map((p) => pointKey(p.siteId, p.node, p.device, p.parameter)));
      const lookups: PointUpsert[] = mergePoints(batches.filter((_, i) => !isFresh(i)))
        .filter((p) => !known.has(pointKey(p.siteId, p.node, p.device, p.parameter)))
        .map(({ siteId, source, node, device, parameter, name }) => ({
          siteId,
          source,
          node,
          device,
          parameter,
          name,
        }));
      const registered = await upsertPoints(
        client,
        [...metadata, ...lookups].sort((a, b) => {
          const ka = pointKey(a.siteId, a.node, a.device, a.parameter);
          const kb = pointKey(b.siteId, b.node, b.device, b.parameter);
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        }),
      );
      const points = new Map<string, RegisteredPoint>(
        registered.map((p) => [pointKey(p.siteId, p.node, p.device, p.parameter), p]),
      );
      const ids = new Map([...points].map(([k, p]) => [k, p.id]));
      const siteZones = new Map(batches.map(({ site }) => [site.id, site.timezone]));
      const zones = new Map(registered.map((p) => [p.id, siteZones.get(p.siteId)!]));

      const rowsPerBatch: SampleRow[][] = [];
      const dropped: WriteResult['dropped'] = [];
      batches.forEach((b, i) => {
        if (!isFresh(i)) {
          rowsPerBatch.push([]);
          return;
        }
        const { rows, dropped: bad } = batchRows(i, b, ids);
        rowsPerBatch.push(rows);
        if (bad.length > 0) dropped.push({ batchId: b.batch.batchId, samples: bad });
      });

      const counts = new Map<number, { inserted: number; revised: number; unchanged: number }>();
      const add = (i: number, c: { inserted: number; revised: number; unchanged: number }) => {
        const prev = counts.get(i) ?? { inserted: 0, revised: 0, unchanged: 0 };
        counts.set(i, {
          inserted: prev.inserted + c.inserted,
          revised: prev.revised + c.revised,
          unchanged: prev.unchanged + c.unchanged,
        });
      };
      let roundNo = 0;
      for (const round of splitRounds(rowsPerBatch)) {
        const rows = round.flatMap((i) => rowsPerBatch[i]!);
        if (rows.length === 0) continue;
        if (roundNo++ > 0) await clearStaging(client);
        const spans = await lockPoints(
          client,
          [...new Set(rows.map((r) => r.pointId))].sort((a, b) => a - b),
        );
        // Rows outside their point's stored span cannot exist yet (appended data, the usual
        // case): they are copied straight in. The rest are staged and upserted.
        const append = forceStaged ? [] : rows.filter((r) => isAppend(r, spans.get(r.pointId)));
        const staged = forceStaged ? rows : rows.filter((r) => !isAppend(r, spans.get(r.pointId)));
        await copyMeasurements(client, append);
        for (const r of append) add(r.batch, { inserted: 1, revised: 0, unchanged: 0 });
        if (staged.length > 0) {
          await copyRows(client, staged);
          const totals = await upsertStagedSamples(client);
          if (totals.inserted === staged.length)
            for (const r of staged) add(r.batch, { inserted: 1, revised: 0, unchanged: 0 });
          else for (const c of await countStagedPerBatch(client)) add(c.batch, c);
        }
        // An hour is new when no stored sample can be in it: it lies outside the point's span.
        const newHours: HourAggregate[] = [];
        const mergeHours: HourAggregate[] = [];
        for (const h of hourlyAggregates(append)) {
          const span = spans.get(h.pointId);
          if (!span || h.hourMs > span.lastMs || h.hourMs + HOUR_MS <= span.firstMs) newHours.push(h);
          else mergeHours.push(h);
        }
        await refreshRollups(client, { newHours, mergeHours, staged: staged.length > 0, zones });
        await refreshPointExtent(client, extents(rows));
      }

      const batchCounts: BatchCounts[] = batches.map(({ batch }, i) => {
        const samples = sampleCount(batch);
        if (!isFresh(i))
          return { points: batch.points.length, samples, inserted: 0, revised: 0, unchanged: samples };
        const c = counts.get(i) ?? { inserted: 0, revised: 0, unchanged: 0 };
        return {
          points: batch.points.length,
          samples,
          inserted: c.inserted,
          revised: c.revised,
          unchanged: c.unchanged,
        };
      });
      await setBatchCounts(
        client,
        batches.flatMap(({ batch }, i) =>
          isFresh(i) ? [{ batchId: batch.batchId, ...batchCounts[i]! }] : [],
        ),
      );

      const progress = new Map<string, UploadProgress>();
      batches.forEach(({ batch }, i) => {
        const uploadId = batch.origin?.uploadId;
        if (!uploadId || !isFresh(i)) return;
        const p = progress.get(uploadId) ?? { uploadId, batches: 0, samples: 0 };
        p.batches += 1;
        p.samples += batchCounts[i]!.samples;
        progress.set(uploadId, p);
      });
      await addUploadProgress(client, [...progress.values()]);
      await insertSetpointEvents(
        client,
        batches.flatMap(({ batch, site }, i) =>
          isFresh(i)
            ? (batch.events ?? []).map((e) => ({
                eventId: e.eventId,
                siteId: site.id,
                source: batch.source,
                node: e.point.node,
                device: e.point.device,
                parameter: e.point.parameter,
                ts: e.ts,
                from: e.from,
                to: e.to,
                origin: e.origin,
              }))
            : [],
        ),
      );

      await client.query('COMMIT');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const storedAt = new Date();
      const events = batches.map((b, i) => storedEvent(b, points, batchCounts[i]!, storedAt));
      const setpoints = batches.flatMap((b) => storedSetpoints(b, storedAt));

      if (metrics) {
        metrics.writeSeconds.observe(seconds);
        metrics.writeSamples.observe(rowsPerBatch.reduce((n, r) => n + r.length, 0));
        batches.forEach((_, i) => {
          const c = batchCounts[i]!;
          metrics.batches.inc({ outcome: isFresh(i) ? 'stored' : 'replay' });
          metrics.samples.inc({ outcome: 'inserted' }, c.inserted);
          metrics.samples.inc({ outcome: 'revised' }, c.revised);
          metrics.samples.inc({ outcome: 'unchanged' }, c.unchanged);
          metrics.revised.inc(c.revised);
        });
        metrics.dropped.inc(dropped.reduce((n, d) => n + d.samples.length, 0));
      }
      logger.debug({ batches: batches.length, fresh: freshBatches.length, seconds }, 'write committed');
      return { events, setpoints, dropped };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  return {
    async write(batches) {
      if (batches.length === 0) return { events: [], setpoints: [], dropped: [] };
      let forceStaged = false;
      for (let n = 1; ; n++) {
        const client = await pool.connect();
        let broken = false;
        try {
          return await attempt(client, batches, forceStaged);
        } catch (err) {
          const code = (err as { code?: string }).code;
          // A failure outside SQL (connection lost, COPY stream error) leaves the client unusable.
          broken = code === undefined;
          if (n < ATTEMPTS && code !== undefined && RETRYABLE.has(code)) {
            logger.warn({ err, attempt: n }, 'write transaction conflicted; retrying');
            continue;
          }
          if (code === '23505' && !forceStaged) {
            // A sample existed outside its point's recorded span (rows written by something
            // other than the store?): do this write the slow, always-correct way.
            logger.warn({ err }, 'append path hit an existing sample; rewriting through staging');
            forceStaged = true;
            continue;
          }
          throw err;
        } finally {
          client.release(broken);
        }
      }
    },
  };
}
