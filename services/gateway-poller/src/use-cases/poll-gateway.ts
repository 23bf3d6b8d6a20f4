import { SAMPLES_PER_BATCH, type Point, type ReadingsBatchInput } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import type { Kysely } from 'kysely';
import type { PointSet, SetpointChange } from '../domain/points.js';
import {
  mapPrefect,
  needsHistory,
  parseNodeConfiguration,
  parseNodeHistory,
  parseNodeStatus,
  type NodeConfig,
  type PrefectNodeCursor,
  type PrefectReading,
} from '../domain/prefect.js';
import { mapGatewayData, macHex, type SecureCursor, type SecureDeviceInfo } from '../domain/secure.js';
import type { PrefectClient } from '../adapters/prefect-client.js';
import type { SecureClient } from '../adapters/secure-client.js';
import { GatewayError } from '../adapters/vendor-http.js';
import {
  loadCursors,
  saveCursors,
  setpointEventId,
  updateStatus,
  type GatewayConfig,
} from '../db/gateways.repo.js';
import type { GatewayDatabase } from '../db/schema.js';

/**
 * Where a poll's results go: readings batches (set-point changes ride in them, for
 * measurement-store to store and announce). The cursor moves only after this resolved (the
 * stream acked).
 */
export interface PollSink {
  publishReadings(gw: GatewayConfig, batch: ReadingsBatchInput): Promise<void>;
}

export interface PollContext {
  db: Kysely<GatewayDatabase>;
  sink: PollSink;
  logger: Logger;
  now: () => number;
  /** Parts of answers that could not be read (counted and logged, the rest kept). */
  onRejected(gw: GatewayConfig, count: number): void;
  /** Days of history read while backfilling. */
  onBackfillDay(gw: GatewayConfig): void;
}

export interface PollOutcome {
  samples: number;
  batches: number;
  events: number;
  /** Newest sample instant seen, ms (for the lag). */
  newestMs: number | undefined;
  /** Parts of the answers that were rejected (the poll still succeeded with the rest). */
  rejected: number;
}

const DAY_MS = 86_400_000;

/** Splits points into batches of about SAMPLES_PER_BATCH samples, in a deterministic order. */
export function chunkPoints(points: Point[], limit = SAMPLES_PER_BATCH): Point[][] {
  const chunks: Point[][] = [];
  let current: Point[] = [];
  let size = 0;
  for (const point of points) {
    for (let i = 0; i < Math.max(1, point.samples.length); i += limit) {
      const part = { ...point, samples: point.samples.slice(i, i + limit) };
      if (size + part.samples.length > limit && current.length > 0) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(part);
      size += part.samples.length;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * Publishes what a poll mapped. Batch ids are the gateway and the window of the samples (first
 * and last instant) plus the chunk number: the same poll repeated after a crash yields the same
 * ids, which the stream drops. Set-point changes travel in the last chunk (or alone in a batch
 * without samples, id'd by their own window), so they are stored and announced by
 * measurement-store, in the same transaction as the samples they were read with.
 */
async function emit(
  ctx: PollContext,
  gw: GatewayConfig,
  points: PointSet,
  changes: SetpointChange[],
  windowKey: string,
): Promise<{ samples: number; batches: number; newestMs: number | undefined }> {
  const list = points.list().filter((p) => p.samples.length > 0);
  let first = Infinity;
  let last = -Infinity;
  for (const p of list)
    for (const s of p.samples) {
      const ms = typeof s[0] === 'number' ? s[0] : Date.parse(s[0]);
      if (ms < first) first = ms;
      if (ms > last) last = ms;
    }
  const events = changes.map((e) => ({
    eventId: setpointEventId(gw, e),
    gateway: gw.name,
    point: { node: e.node, device: e.device, parameter: e.parameter, name: e.name },
    ts: new Date(e.ts).toISOString(),
    from: e.from,
    to: e.to,
    origin: e.origin,
  }));
  if (list.length === 0 && events.length > 0)
    for (const e of changes) {
      if (e.ts < first) first = e.ts;
      if (e.ts > last) last = e.ts;
    }
  let batches = 0;
  if (list.length > 0 || events.length > 0) {
    const from = new Date(first).toISOString();
    const to = new Date(last).toISOString();
    const chunks = list.length > 0 ? chunkPoints(list) : [[]];
    for (const [index, chunk] of chunks.entries()) {
      const batch: ReadingsBatchInput = {
        v: 1,
        batchId: `${gw.vendor}:${gw.name}:${windowKey}:${from}/${to}:${index}`,
        source: gw.vendor,
        site: gw.site,
        producedAt: new Date(ctx.now()).toISOString(),
        origin: { pollWindow: { from, to }, chunk: index, chunks: chunks.length, device: gw.name },
        points: chunk,
        ...(index === chunks.length - 1 && events.length > 0 ? { events } : {}),
      };
      await ctx.sink.publishReadings(gw, batch);
      batches += 1;
    }
  }
  let samples = 0;
  for (const p of list) samples += p.samples.length;
  return { samples, batches, newestMs: list.length > 0 ? last : undefined };
}

/** NodeConfiguration per gateway, refreshed daily (load watts change rarely). */
export class ConfigCache {
  private readonly entries = new Map<string, { at: number; configs: Map<number, NodeConfig> }>();
  constructor(private readonly maxAgeMs = DAY_MS) {}

  async get(
    gw: GatewayConfig,
    addresses: number[],
    client: PrefectClient,
    now: number,
    onBad: (reason: string) => void,
  ): Promise<Map<number, NodeConfig>> {
    let entry = this.entries.get(gw.name);
    if (!entry || now - entry.at > this.maxAgeMs) {
      entry = { at: now, configs: new Map() };
      this.entries.set(gw.name, entry);
    }
    for (const address of addresses) {
      if (entry.configs.has(address)) continue;
      try {
        const config = parseNodeConfiguration(await client.nodeConfiguration(address));
        if (config) entry.configs.set(address, config);
        else onBad(`NodeConfiguration/${address}: not a node configuration`);
      } catch (err) {
        onBad(`NodeConfiguration/${address}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return entry.configs;
  }
}

const nodeKey = (address: number) => `node:${address}`;

/**
 * One Prefect poll: NodeStatus of every node; a node first seen, or seen again further past its
 * cursor than 1.5 report periods (needsHistory), is backfilled from NodeHistory day by day back to its cursor (at most
 * backfill-days). Each node's history is published and its cursor saved before the next node,
 * so a long backfill keeps its progress across a crash.
 */
export async function pollPrefect(
  ctx: PollContext,
  gw: GatewayConfig,
  client: PrefectClient,
  configCache: ConfigCache,
): Promise<PollOutcome> {
  const log = ctx.logger.child({ gateway: gw.name });
  let rejected = 0;
  const bad = (reason: string) => {
    rejected += 1;
    log.warn({ reason }, 'bad part of a gateway answer (the rest is kept)');
  };
  const status = parseNodeStatus(await client.nodeStatus());
  for (const r of status.rejected) bad(`NodeStatus item ${r.index}: ${r.reason}`);
  if (status.readings.length === 0 && status.rejected.length > 0) {
    throw new GatewayError('bad_answer', `NodeStatus: ${status.rejected[0]!.reason}`);
  }
  const stored = await loadCursors(ctx.db, gw);
  const cursors = new Map<number, PrefectNodeCursor>();
  for (const [device, cursor] of stored) {
    const m = /^node:(\d+)$/.exec(device);
    if (m) cursors.set(Number(m[1]), cursor as unknown as PrefectNodeCursor);
  }
  const addresses = [...new Set(status.readings.map((r) => r.address))];
  const configs = await configCache.get(gw, addresses, client, ctx.now(), bad);

  const outcome: PollOutcome = { samples: 0, batches: 0, events: 0, newestMs: undefined, rejected: 0 };
  const upToDate: PrefectReading[] = [];
  const note = (r: { samples: number; batches: number; newestMs: number | undefined }) => {
    outcome.samples += r.samples;
    outcome.batches += r.batches;
    if (r.newestMs !== undefined && (outcome.newestMs === undefined || r.newestMs > outcome.newestMs))
      outcome.newestMs = r.newestMs;
  };

  // A node whose load watts are unknown waits for the next poll (its cursor stays): stored now,
  // its energy could never be computed for these readings afterwards.
  const ready = status.readings.filter((r) => {
    if (configs.has(r.address)) return true;
    bad(`node ${r.address}: no NodeConfiguration yet; its readings wait for the next poll`);
    return false;
  });
  const backfills = ready.filter((r) => needsHistory(r, cursors.get(r.address), gw.intervalSeconds * 1000));
  for (const r of ready) if (!backfills.includes(r)) upToDate.push(r);
  if (backfills.length > 0) {
    await updateStatus(ctx.db, gw.id, { backfill: { nodes: backfills.length, done: 0 } });
  }
  for (const [i, reading] of backfills.entries()) {
    const cursor = cursors.get(reading.address);
    // NodeHistory days are UTC calendar days counted back from the gateway's today, which may
    // be a day past its last report (one more day asked for covers that).
    const span = cursor
      ? Math.floor(reading.ts / DAY_MS) - Math.floor(cursor.ts / DAY_MS) + 1
      : gw.backfillDays;
    const days = Math.min(gw.backfillDays, span);
    const history: PrefectReading[] = [];
    // Oldest day first. A day that cannot be read leaves the node as it was (no sample, no cursor
    // move): the next poll walks the same gap again, so nothing in it is skipped for good.
    let complete = true;
    for (let d = days; d >= 0; d--) {
      try {
        const parsed = parseNodeHistory(await client.nodeHistory(d, reading.address));
        for (const r of parsed.rejected) bad(`NodeHistory/${d}/${reading.address}: ${r.reason}`);
        history.push(...parsed.readings.filter((h) => h.address === reading.address));
        ctx.onBackfillDay(gw);
      } catch (err) {
        bad(`NodeHistory/${d}/${reading.address}: ${err instanceof Error ? err.message : String(err)}`);
        complete = false;
        break;
      }
    }
    if (!complete) continue;
    const full = [reading];
    // History is read after NodeStatus, so a node that reported in between shows history a
    // reading newer than its status. Taken from history alone it would lack presence, adjustment
    // and AdjustedAtReceiver for good: the cursor moves past it, and the next NodeStatus showing
    // it whole is skipped as already taken. So that node's status is asked once more.
    let newest = reading.ts;
    for (const h of history) if (h.ts > newest) newest = h.ts;
    if (newest > reading.ts) {
      try {
        const again = parseNodeStatus(await client.nodeStatusOf(reading.address));
        const twin = again.readings.find((r) => r.address === reading.address && r.ts === newest);
        // Reported yet again since: that newest history reading keeps its history fields only.
        if (twin) full.push(twin);
      } catch (err) {
        bad(`NodeStatus/${reading.address}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Status readings first: at an equal instant one wins over its history twin, carrying
    // presence, adjustment and AdjustedAtReceiver, which history lacks.
    const mapped = mapPrefect([...full, ...history], configs, cursors);
    note(await emit(ctx, gw, mapped.points, mapped.events, `node${reading.address}`));
    outcome.events += mapped.events.length;
    await saveCursors(
      ctx.db,
      gw,
      [...mapped.cursors].map(([a, c]) => [nodeKey(a), c] as [string, object]),
    );
    await updateStatus(ctx.db, gw.id, { backfill: { nodes: backfills.length, done: i + 1 } });
  }
  if (upToDate.length > 0) {
    const mapped = mapPrefect(upToDate, configs, cursors);
    note(await emit(ctx, gw, mapped.points, mapped.events, 'status'));
    outcome.events += mapped.events.length;
    await saveCursors(
      ctx.db,
      gw,
      [...mapped.cursors].map(([a, c]) => [nodeKey(a), c] as [string, object]),
    );
  }
  outcome.rejected = rejected;
  if (rejected > 0) ctx.onRejected(gw, rejected);
  return outcome;
}

/**
 * One Secure poll: the account's gateways, then for each its changes since the LUT cursor
 * (the first poll sends an empty LUT and gets every current value: that is the backfill).
 */
export async function pollSecure(
  ctx: PollContext,
  gw: GatewayConfig,
  client: SecureClient,
  written?: ReadonlyMap<string, number>,
): Promise<PollOutcome> {
  const log = ctx.logger.child({ gateway: gw.name });
  const session = await client.session();
  const devices = new Map<string, SecureDeviceInfo>(session.devices.map((d) => [`${d.zid}/${d.drefid}`, d]));
  const gateways = await client.gatewayList();
  const stored = await loadCursors(ctx.db, gw);
  const outcome: PollOutcome = { samples: 0, batches: 0, events: 0, newestMs: undefined, rejected: 0 };
  for (const g of gateways) {
    const key = `gw:${macHex(g.gmacid)}`;
    const cursor = stored.get(key) as SecureCursor | undefined;
    const body = await client.gatewayData(g.gmacid, cursor?.lut ?? '');
    const mapped = mapGatewayData(body, devices, cursor, written);
    for (const r of mapped.rejected)
      log.warn({ reason: r.reason }, 'bad part of a gateway answer (the rest is kept)');
    outcome.rejected += mapped.rejected.length;
    const emitted = await emit(ctx, gw, mapped.points, mapped.events, key);
    outcome.samples += emitted.samples;
    outcome.batches += emitted.batches;
    outcome.events += mapped.events.length;
    if (
      emitted.newestMs !== undefined &&
      (outcome.newestMs === undefined || emitted.newestMs > outcome.newestMs)
    )
      outcome.newestMs = emitted.newestMs;
    if (mapped.cursor) await saveCursors(ctx.db, gw, [[key, mapped.cursor]]);
  }
  if (outcome.rejected > 0) ctx.onRejected(gw, outcome.rejected);
  return outcome;
}
