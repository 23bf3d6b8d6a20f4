import { QUALITY } from '@ep/contracts';
import { z } from 'zod';
import { ON_OFF, PointSet, type SetpointChange } from './points.js';

/**
 * Prefect (pre2000) gateways: how one node's readings become points (samples/prefect/API.md).
 * A node is a room; its address is the node key and its RoomName the display name.
 */

/** Set point the gateway sends when a node has none: not a temperature. */
export const NO_SETPOINT = -100;
/** A relay's energy is only computed over a gap no longer than this (the legacy rule), in s. */
export const ENERGY_MAX_GAP_S = 500;

const NodeConfigSchema = z.object({
  Address: z.number().int(),
  L1LoadWatts: z.number().min(0),
  L2LoadWatts: z.number().min(0),
  RoomName: z.string().optional(),
});

/** One reading of one node, from NodeStatus or a NodeHistory entry. */
export interface PrefectReading {
  address: number;
  /** UTC ms (the gateway sends Unix seconds). */
  ts: number;
  /** Each field is kept on its own: a reading missing one still gives the others. */
  currentTemperature?: number;
  setPoint?: number;
  /** Not part of history entries. */
  adjustment?: number;
  presence?: boolean;
  l1On?: boolean;
  l2On?: boolean;
  adjustedAtReceiver: boolean;
  roomName?: string;
}

export interface NodeConfig {
  address: number;
  l1LoadWatts: number;
  l2LoadWatts: number;
  roomName?: string;
}

/** What was kept of one node between polls (poll_state), so the next reading continues it. */
export interface PrefectNodeCursor {
  /** The last reading taken, UTC ms. */
  ts: number;
  /** Its set point; null = none (the −100 sentinel). */
  setPoint: number | null;
  /**
   * Time from the reading before it to this one, UTC ms: the node's report period as last seen.
   * A poll that finds a newer reading further off than that has missed reports in between.
   */
  gapMs?: number;
}

/**
 * Whether NodeStatus's newest reading leaves reports unread since the cursor, so the node's
 * history must be walked: always for a node first seen; else when the reading is more than 1.5
 * report periods past the cursor. The period is the node's own (its last gap) when known, capped
 * by the poll interval — polling every 600 s a node that reports every 300 s misses one report
 * in two, which only history holds.
 */
export function needsHistory(
  reading: { ts: number },
  cursor: PrefectNodeCursor | undefined,
  intervalMs: number,
): boolean {
  if (!cursor) return true;
  const period = Math.min(intervalMs, cursor.gapMs ?? intervalMs);
  return reading.ts - cursor.ts > period * 1.5;
}

/** Part of an answer that could not be read: the rest of it is kept. */
export interface Rejected {
  index: number;
  reason: string;
}

type Json = Record<string, unknown>;
const num = (o: Json, k: string) =>
  typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined;
const bool = (o: Json, k: string) => (typeof o[k] === 'boolean' ? (o[k] as boolean) : undefined);

const STATUS_FIELDS = ['CurrentTemperature', 'SetPointTemperature', 'L1On', 'L2On'] as const;

/**
 * One reading from a status object or history entry. Only the address and the time are needed;
 * every other field missing or of the wrong type is reported and left out, the rest kept.
 */
function readingOf(
  o: Json,
  address: number | undefined,
  tsField: 'LastReceiveAt' | 'ReceivedAt',
  problems: string[],
): PrefectReading | undefined {
  const ts = num(o, tsField);
  if (address === undefined || ts === undefined || !Number.isInteger(ts)) {
    problems.push(`no ${address === undefined ? 'Address' : tsField}`);
    return undefined;
  }
  for (const f of STATUS_FIELDS)
    if (o[f] === undefined || (f.startsWith('L') ? bool(o, f) : num(o, f)) === undefined)
      problems.push(`${f} missing or not a ${f.startsWith('L') ? 'boolean' : 'number'}`);
  const r: PrefectReading = {
    address,
    ts: ts * 1000,
    adjustedAtReceiver: bool(o, 'AdjustedAtReceiver') ?? false,
  };
  const t = num(o, 'CurrentTemperature');
  if (t !== undefined) r.currentTemperature = t;
  const sp = num(o, 'SetPointTemperature');
  if (sp !== undefined) r.setPoint = sp;
  const l1 = bool(o, 'L1On');
  if (l1 !== undefined) r.l1On = l1;
  const l2 = bool(o, 'L2On');
  if (l2 !== undefined) r.l2On = l2;
  const adj = num(o, 'TemperatureAdjustment');
  if (adj !== undefined) r.adjustment = adj;
  const presence = bool(o, 'PresenceIsDetected');
  if (presence !== undefined) r.presence = presence;
  if (typeof o['RoomName'] === 'string') r.roomName = o['RoomName'];
  return r;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a NodeStatus answer node by node; what is wrong in one node is rejected, the rest kept. */
export function parseNodeStatus(body: unknown): { readings: PrefectReading[]; rejected: Rejected[] } {
  if (!Array.isArray(body)) return { readings: [], rejected: [{ index: -1, reason: 'not a JSON array' }] };
  const readings: PrefectReading[] = [];
  const rejected: Rejected[] = [];
  body.forEach((item, index) => {
    const problems: string[] = [];
    const r = isObject(item) ? readingOf(item, num(item, 'Address'), 'LastReceiveAt', problems) : undefined;
    if (!isObject(item)) problems.push('not an object');
    if (r) readings.push(r);
    if (problems.length > 0) rejected.push({ index, reason: problems.join('; ') });
  });
  return { readings, rejected };
}

/** Reads a NodeHistory answer (`[{ Address, History: [...] }]`); bad entries are rejected one by one. */
export function parseNodeHistory(body: unknown): { readings: PrefectReading[]; rejected: Rejected[] } {
  if (!Array.isArray(body)) return { readings: [], rejected: [{ index: -1, reason: 'not a JSON array' }] };
  const readings: PrefectReading[] = [];
  const rejected: Rejected[] = [];
  for (const node of body) {
    const address = isObject(node) ? num(node, 'Address') : undefined;
    const history = isObject(node) ? node['History'] : undefined;
    if (address === undefined || !Array.isArray(history)) {
      rejected.push({ index: -1, reason: 'a node without Address or History' });
      continue;
    }
    history.forEach((item, index) => {
      const problems: string[] = [];
      const r = isObject(item) ? readingOf(item, address, 'ReceivedAt', problems) : undefined;
      if (!isObject(item)) problems.push('not an object');
      if (r) readings.push(r);
      if (problems.length > 0) rejected.push({ index, reason: problems.join('; ') });
    });
  }
  return { readings, rejected };
}

/** Reads a NodeConfiguration answer (one node). */
export function parseNodeConfiguration(body: unknown): NodeConfig | undefined {
  const first = Array.isArray(body) ? body[0] : undefined;
  const parsed = NodeConfigSchema.safeParse(first);
  if (!parsed.success) return undefined;
  return {
    address: parsed.data.Address,
    l1LoadWatts: parsed.data.L1LoadWatts,
    l2LoadWatts: parsed.data.L2LoadWatts,
    ...(parsed.data.RoomName !== undefined ? { roomName: parsed.data.RoomName } : {}),
  };
}

export interface PrefectMapped {
  points: PointSet;
  events: SetpointChange[];
  /** The cursor of every node that had a new reading. */
  cursors: Map<number, PrefectNodeCursor>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Maps readings (any order, any nodes, possibly repeating what an earlier poll took) to points.
 * A reading at or before its node's cursor was taken already and is skipped, so a poll repeated
 * after a crash, or history overlapping the status, adds nothing twice.
 */
export function mapPrefect(
  readings: PrefectReading[],
  configs: ReadonlyMap<number, NodeConfig>,
  cursors: ReadonlyMap<number, PrefectNodeCursor>,
): PrefectMapped {
  const points = new PointSet();
  const events: SetpointChange[] = [];
  const next = new Map<number, PrefectNodeCursor>();
  const sorted = [...readings].sort((a, b) => a.address - b.address || a.ts - b.ts);
  for (const r of sorted) {
    const previous = next.get(r.address) ?? cursors.get(r.address);
    if (previous && r.ts <= previous.ts) continue;
    const config = configs.get(r.address);
    const node = String(r.address);
    const roomName = r.roomName ?? config?.roomName;
    const meta = { address: r.address, ...(roomName !== undefined ? { roomName } : {}) };
    const spec = (device: string, parameter: string, extra: Record<string, unknown> = {}) => ({
      node,
      device,
      parameter,
      name: `${node}.${device}.${parameter}`,
      meta,
      ...extra,
    });
    const ts = iso(r.ts);

    if (r.currentTemperature !== undefined) {
      points.add(spec('thermostat', 'current_temperature', { unit: '°C', kind: 'sampled' }), [
        ts,
        r.currentTemperature,
        QUALITY.good,
      ]);
    }
    // A reading without a set point keeps the last one known (for the next change event).
    const setPoint =
      r.setPoint === undefined
        ? (previous?.setPoint ?? null)
        : r.setPoint === NO_SETPOINT
          ? null
          : r.setPoint;
    const setPointSpec = spec('thermostat', 'temperature_setpoint', { unit: '°C', kind: 'sampled' });
    if (r.setPoint !== undefined) {
      points.add(setPointSpec, setPoint === null ? [ts, null, QUALITY.noData] : [ts, setPoint, QUALITY.good]);
    }
    if (previous && r.setPoint !== undefined && previous.setPoint !== setPoint) {
      events.push({
        node,
        device: 'thermostat',
        parameter: 'temperature_setpoint',
        name: setPointSpec.name,
        ts: r.ts,
        from: previous.setPoint,
        to: setPoint,
        origin: r.adjustedAtReceiver ? 'override' : 'schedule',
      });
    }
    if (r.adjustment !== undefined) {
      points.add(spec('thermostat', 'temperature_adjustment', { unit: '°C', kind: 'sampled' }), [
        ts,
        r.adjustment,
        QUALITY.good,
      ]);
    }
    if (r.presence !== undefined) {
      points.add(spec('pir', 'presence', { kind: 'state', states: { '0': 'absent', '1': 'present' } }), [
        ts,
        r.presence ? 1 : 0,
        QUALITY.good,
      ]);
    }
    if (r.l1On !== undefined) {
      points.add(spec('relay', 'relay_1_state', { kind: 'state', states: ON_OFF }), [
        ts,
        r.l1On ? 1 : 0,
        QUALITY.good,
      ]);
    }
    if (r.l2On !== undefined) {
      points.add(spec('relay', 'relay_2_state', { kind: 'state', states: ON_OFF }), [
        ts,
        r.l2On ? 1 : 0,
        QUALITY.good,
      ]);
    }
    const energy = relayEnergyKWh(r, previous, config);
    if (energy !== undefined) {
      points.add(spec('relay', 'calculated_energy_consumption', { unit: 'kWh', kind: 'sampled' }), [
        ts,
        energy,
        QUALITY.good,
      ]);
    }
    next.set(r.address, { ts: r.ts, setPoint, ...(previous ? { gapMs: r.ts - previous.ts } : {}) });
  }
  return { points, events, cursors: next };
}

/**
 * Energy used since the previous reading: the configured load of each line that is on × the
 * time since that reading. Not computed without a previous reading, when it is more than
 * ENERGY_MAX_GAP_S old (the relay may have switched unseen), or without the node's configuration.
 */
export function relayEnergyKWh(
  reading: Pick<PrefectReading, 'ts' | 'l1On' | 'l2On'>,
  previous: Pick<PrefectNodeCursor, 'ts'> | undefined,
  config: Pick<NodeConfig, 'l1LoadWatts' | 'l2LoadWatts'> | undefined,
): number | undefined {
  if (!previous || !config || reading.l1On === undefined || reading.l2On === undefined) return undefined;
  const seconds = (reading.ts - previous.ts) / 1000;
  if (seconds <= 0 || seconds > ENERGY_MAX_GAP_S) return undefined;
  const watts = (reading.l1On ? config.l1LoadWatts : 0) + (reading.l2On ? config.l2LoadWatts : 0);
  return (watts * seconds) / 3_600_000;
}
