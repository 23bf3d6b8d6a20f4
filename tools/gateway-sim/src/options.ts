import { createClock, toEpochMs, type ClockOptions, type SimClock } from './clock.js';
import type { FaultSettings } from './faults.js';

/** Options both simulators take. */
export interface CommonSimOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: any free port; read it from `url`). */
  port?: number;
  /** Number of sites (names from `siteNames`) or the names themselves (default 3). */
  sites?: number | string[];
  /** Nodes per site: Prefect nodes, Secure zones (default 10). */
  nodes?: number;
  /** Seed of every generated value, credential and fault draw (default 1). */
  seed?: number;
  /** A clock to share (e.g. between both simulators), or options for a new one (default: frozen at the wall clock). */
  clock?: SimClock | ClockOptions;
  /** Days of data before the clock's start instant (default 60); nothing exists before. */
  historyDays?: number;
  /** Installation instant (overrides historyDays). */
  installedAt?: number | string | Date;
  /** Length of the record's poll-counter interval in seconds (default 300). */
  pollIntervalS?: number;
  /** Zone of local times (schedules, Secure LUTs); default Europe/London. */
  zone?: string;
  /** Faults for every gateway from the start (`*`). */
  faults?: FaultSettings;
  /** Record samples and events (default true); false keeps only poll/request/write counts (benchmarks). */
  recordSamples?: boolean;
}

export interface ResolvedCommon {
  host: string;
  port: number;
  siteNames: string[] | number;
  nodes: number;
  seed: number;
  clock: SimClock;
  installedAtMs: number;
  pollIntervalMs: number;
  zone: string;
  faults: FaultSettings;
  recordSamples: boolean;
}

function isClock(c: SimClock | ClockOptions | undefined): c is SimClock {
  return typeof (c as SimClock | undefined)?.now === 'function';
}

export function resolveCommon(o: CommonSimOptions): ResolvedCommon {
  const clock = isClock(o.clock) ? o.clock : createClock(o.clock ?? {});
  const historyDays = o.historyDays ?? 60;
  const nodes = o.nodes ?? 10;
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new Error(`nodes must be a whole number ≥ 1, got ${nodes}`);
  const pollIntervalS = o.pollIntervalS ?? 300;
  if (!(pollIntervalS > 0)) throw new Error(`pollIntervalS must be > 0, got ${pollIntervalS}`);
  return {
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    siteNames: o.sites ?? 3,
    nodes,
    seed: o.seed ?? 1,
    clock,
    installedAtMs:
      o.installedAt !== undefined ? toEpochMs(o.installedAt) : clock.now() - historyDays * 86_400_000,
    pollIntervalMs: pollIntervalS * 1000,
    zone: o.zone ?? 'Europe/London',
    faults: o.faults ?? {},
    recordSamples: o.recordSamples ?? true,
  };
}
