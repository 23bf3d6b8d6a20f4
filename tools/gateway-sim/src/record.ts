/**
 * What a simulator served, in EP's own terms (site/gateway → node → device → parameter, samples
 * as `[UTC ISO instant, value, quality]`), so a test can compare what EP stored with what EP was
 * actually shown — not with what the gateway "had": a value never polled cannot be expected.
 *
 * Only answers that went out whole are recorded: a 500, a time-out or malformed JSON records
 * nothing; an answer with a field taken out (fault `missingField`) records everything but that
 * field.
 */

/** Quality codes of ARCHITECTURE §2: 0 good, 3 no data reported by the source. */
export const QUALITY_GOOD = 0;
export const QUALITY_NO_DATA = 3;

/** `[UTC ISO instant, value, quality]`, the sample tuple of EP's readings contract. */
export type RecordedSample = [ts: string, value: number | null, quality: number];

export interface SeriesKey {
  /** The simulator's gateway key: the Prefect site name (`BADOCK`) or the Secure account's site. */
  gateway: string;
  node: string;
  device: string;
  parameter: string;
}

export interface RecordedSeries extends SeriesKey {
  /** Samples in time order, each instant once. */
  samples: RecordedSample[];
}

export interface SeriesFilter {
  gateway?: string;
  node?: string;
  device?: string;
  parameter?: string;
}

/** A set-point change between two consecutive values served for one point. */
export interface SetPointEvent extends SeriesKey {
  /** Instant of the first reading that showed the new set point (UTC ISO). */
  ts: string;
  /** null = no set point (Prefect's `-100` sentinel). */
  from: number | null;
  to: number | null;
  /**
   * Why it changed, as the simulator knows it. Prefect: `override` when the new reading is
   * `AdjustedAtReceiver: true`, else `schedule`. Secure: `override` when the value came from an
   * `UpdateDeviceData` write, else `schedule`.
   */
  origin: 'override' | 'schedule';
  /**
   * Prefect only: whether a `NodeStatus` answer (which carries `AdjustedAtReceiver`) showed the
   * new reading, or only `NodeHistory` did (which does not carry the flag).
   */
  exposedBy?: 'status' | 'history';
}

export interface PollCount {
  gateway: string;
  /** Start of the poll-counter interval (UTC ISO), aligned to multiples of the interval since the epoch. */
  interval: string;
  count: number;
}

export interface RequestCount {
  gateway: string;
  /** `NodeStatus`, `NodeHistory`, `login`, `gatewaydata`, `UpdateDeviceData`, … */
  kind: string;
  /** `ok`, `fault:http500`, `fault:timeout`, `fault:malformed`, `fault:missingField`, `refused`, `expired`, … */
  outcome: string;
  count: number;
}

export interface WriteRecord {
  gateway: string;
  node: string;
  device: string;
  parameter: string;
  /** Simulated instant the write arrived (UTC ISO). */
  at: string;
  /** The `CV` string as sent. */
  cv: string;
  outcome: 'accepted' | 'refused';
  /** Why it was refused. */
  reason?: string;
}

export interface SimRecord {
  /** Every series served (derived ones included), optionally filtered, sorted by key. */
  series(filter?: SeriesFilter): RecordedSeries[];
  /** The samples of one point; empty when nothing was served for it. */
  samples(gateway: string, node: string, device: string, parameter: string): RecordedSample[];
  /** Set-point changes served, in time order per point. */
  events(filter?: SeriesFilter): SetPointEvent[];
  /** Polls (Prefect `NodeStatus` of all nodes, Secure `gatewaydata`) per gateway per interval. */
  polls(gateway?: string): PollCount[];
  /** Intervals in which a gateway was polled more than once. */
  doublePolls(): PollCount[];
  /** Simulated instants (epoch ms) of every poll of a gateway, in arrival order. */
  pollTimes(gateway: string): number[];
  /** Every request answered, by gateway, kind and outcome. */
  requests(gateway?: string): RequestCount[];
  /** Secure `UpdateDeviceData` writes, in arrival order. */
  writes(): WriteRecord[];
  /** Forgets everything recorded so far (the simulated gateways keep their state). */
  clear(): void;
}

export function seriesKey(k: SeriesKey): string {
  return `${k.gateway}\u0000${k.node}\u0000${k.device}\u0000${k.parameter}`;
}

function matches(k: SeriesKey, f: SeriesFilter | undefined): boolean {
  return (
    !f ||
    ((f.gateway === undefined || f.gateway === k.gateway) &&
      (f.node === undefined || f.node === k.node) &&
      (f.device === undefined || f.device === k.device) &&
      (f.parameter === undefined || f.parameter === k.parameter))
  );
}

function compareKeys(a: SeriesKey, b: SeriesKey): number {
  return (
    a.gateway.localeCompare(b.gateway) ||
    a.node.localeCompare(b.node, undefined, { numeric: true }) ||
    a.device.localeCompare(b.device, undefined, { numeric: true }) ||
    a.parameter.localeCompare(b.parameter)
  );
}

/**
 * The shared part of both simulators' records: plain samples, poll and request counters,
 * writes. A vendor adds derived series and events (Prefect's energy and set-point events are
 * computed over every reading served) through the two hooks.
 */
export class BaseRecord implements SimRecord {
  private readonly stored = new Map<
    string,
    { key: SeriesKey; points: Map<number, [number | null, number]> }
  >();
  private readonly pollLog = new Map<string, number[]>();
  private readonly requestLog = new Map<string, RequestCount>();
  private writeLog: WriteRecord[] = [];

  constructor(
    /** Length of the poll counter's interval, ms (the poller's interval: 300 s by default). */
    readonly pollIntervalMs: number,
    /**
     * Keep samples and events (default). Off for a benchmark's long runs, where millions of
     * samples would only cost memory: polls, requests and writes are still counted.
     */
    readonly keepsSamples = true,
  ) {}

  addSample(key: SeriesKey, tsMs: number, value: number | null, quality: number): void {
    if (!this.keepsSamples) return;
    const k = seriesKey(key);
    let entry = this.stored.get(k);
    if (!entry) {
      entry = { key: { ...key }, points: new Map() };
      this.stored.set(k, entry);
    }
    entry.points.set(tsMs, [value, quality]);
  }

  countPoll(gateway: string, atMs: number): void {
    let log = this.pollLog.get(gateway);
    if (!log) this.pollLog.set(gateway, (log = []));
    log.push(atMs);
  }

  countRequest(gateway: string, kind: string, outcome: string): void {
    const k = `${gateway}\u0000${kind}\u0000${outcome}`;
    const entry = this.requestLog.get(k);
    if (entry) entry.count++;
    else this.requestLog.set(k, { gateway, kind, outcome, count: 1 });
  }

  addWrite(write: WriteRecord): void {
    this.writeLog.push(write);
  }

  /** Series computed from what was served (override in a vendor's record). */
  protected derivedSeries(): RecordedSeries[] {
    return [];
  }

  protected derivedEvents(): SetPointEvent[] {
    return [];
  }

  series(filter?: SeriesFilter): RecordedSeries[] {
    const out: RecordedSeries[] = [];
    for (const { key, points } of this.stored.values()) {
      if (!matches(key, filter)) continue;
      const samples = [...points.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([ts, [value, quality]]): RecordedSample => [new Date(ts).toISOString(), value, quality]);
      out.push({ ...key, samples });
    }
    for (const s of this.derivedSeries()) if (matches(s, filter)) out.push(s);
    return out.sort(compareKeys);
  }

  samples(gateway: string, node: string, device: string, parameter: string): RecordedSample[] {
    return this.series({ gateway, node, device, parameter })[0]?.samples ?? [];
  }

  events(filter?: SeriesFilter): SetPointEvent[] {
    return this.derivedEvents()
      .filter((e) => matches(e, filter))
      .sort((a, b) => compareKeys(a, b) || a.ts.localeCompare(b.ts));
  }

  polls(gateway?: string): PollCount[] {
    const out: PollCount[] = [];
    for (const [g, times] of this.pollLog) {
      if (gateway !== undefined && g !== gateway) continue;
      const byInterval = new Map<number, number>();
      for (const t of times) {
        const start = Math.floor(t / this.pollIntervalMs) * this.pollIntervalMs;
        byInterval.set(start, (byInterval.get(start) ?? 0) + 1);
      }
      for (const [start, count] of [...byInterval].sort((a, b) => a[0] - b[0])) {
        out.push({ gateway: g, interval: new Date(start).toISOString(), count });
      }
    }
    return out.sort((a, b) => a.gateway.localeCompare(b.gateway) || a.interval.localeCompare(b.interval));
  }

  doublePolls(): PollCount[] {
    return this.polls().filter((p) => p.count > 1);
  }

  pollTimes(gateway: string): number[] {
    return [...(this.pollLog.get(gateway) ?? [])];
  }

  requests(gateway?: string): RequestCount[] {
    return [...this.requestLog.values()]
      .filter((r) => gateway === undefined || r.gateway === gateway)
      .map((r) => ({ ...r }))
      .sort(
        (a, b) =>
          a.gateway.localeCompare(b.gateway) ||
          a.kind.localeCompare(b.kind) ||
          a.outcome.localeCompare(b.outcome),
      );
  }

  writes(): WriteRecord[] {
    return this.writeLog.map((w) => ({ ...w }));
  }

  clear(): void {
    this.stored.clear();
    this.pollLog.clear();
    this.requestLog.clear();
    this.writeLog = [];
  }
}
