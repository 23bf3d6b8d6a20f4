import type { Point, Sample } from '@ep/contracts';

/** Where a set-point change came from: an operator at the receiver, or the schedule. */
export type SetpointOrigin = 'override' | 'schedule';

/** A set point that changed between two readings of the same point. */
export interface SetpointChange {
  node: string;
  device: string;
  parameter: string;
  /** The point's full name, as in its readings batch. */
  name: string;
  /** When the new set point was read, UTC ms. */
  ts: number;
  /** null: the gateway reported no set point. */
  from: number | null;
  to: number | null;
  origin: SetpointOrigin;
}

/** What a point is, without its samples. */
export type PointSpec = Omit<Point, 'samples'>;

/**
 * Collects samples per point in arrival order, so a mapper can add them one reading at a time
 * and hand over readings-batch points at the end.
 */
export class PointSet {
  private readonly points = new Map<string, Point>();

  add(spec: PointSpec, sample: Sample): void {
    this.ensure(spec).samples.push(sample);
  }

  /** A point with no sample (yet), so its metadata travels even when nothing was read. */
  ensure(spec: PointSpec): Point {
    const key = `${spec.node}\u0000${spec.device}\u0000${spec.parameter}`;
    let point = this.points.get(key);
    if (!point) {
      point = { ...spec, samples: [] };
      this.points.set(key, point);
    }
    return point;
  }

  list(): Point[] {
    return [...this.points.values()];
  }

  get sampleCount(): number {
    let n = 0;
    for (const p of this.points.values()) n += p.samples.length;
    return n;
  }
}

export const ON_OFF = { '0': 'OFF', '1': 'ON' };

/** Finite numbers only: NaN or ±Infinity from a vendor is no value at all. */
export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
