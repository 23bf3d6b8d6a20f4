import {
  BaseRecord,
  QUALITY_GOOD,
  QUALITY_NO_DATA,
  type RecordedSeries,
  type SetPointEvent,
} from '../record.js';
import { NO_SET_POINT, type PrefectNode, type PrefectReading } from './model.js';

/** The legacy rule: no energy for an interval whose previous reading is more than this old. */
export const ENERGY_MAX_GAP_S = 500;

interface ServedReading {
  setPoint: number;
  l1On: boolean;
  l2On: boolean;
  /** The model's truth, known even when only NodeHistory (without the flag) showed the reading. */
  adjusted: boolean;
  viaStatus: boolean;
}

/** JSON of a NodeStatus object or a History entry, as sent (a field may have been taken out). */
type Served = Record<string, unknown>;

/**
 * Prefect's record: the plain samples of every reading served, plus what EP is expected to
 * derive from the sequence of readings it was shown — `relay.calculated_energy_consumption` and
 * set-point events — computed over every reading served for a node (status and history), in
 * time order.
 */
export class PrefectRecord extends BaseRecord {
  private readonly readings = new Map<string, { node: PrefectNode; byTime: Map<number, ServedReading> }>();

  private remember(node: PrefectNode, r: PrefectReading, viaStatus: boolean): void {
    if (!this.keepsSamples) return;
    const k = `${node.site}\u0000${node.address}`;
    let entry = this.readings.get(k);
    if (!entry) this.readings.set(k, (entry = { node, byTime: new Map() }));
    const before = entry.byTime.get(r.receivedAt);
    entry.byTime.set(r.receivedAt, {
      setPoint: r.setPoint,
      l1On: r.l1On,
      l2On: r.l2On,
      adjusted: r.adjustedAtReceiver,
      viaStatus: viaStatus || (before?.viaStatus ?? false),
    });
  }

  private sample(
    node: PrefectNode,
    device: string,
    parameter: string,
    tS: number,
    value: number | null,
    quality = QUALITY_GOOD,
  ): void {
    this.addSample(
      { gateway: node.site, node: String(node.address), device, parameter },
      tS * 1000,
      value,
      quality,
    );
  }

  private common(node: PrefectNode, r: PrefectReading, json: Served): void {
    const t = r.receivedAt;
    if (typeof json.CurrentTemperature === 'number')
      this.sample(node, 'thermostat', 'current_temperature', t, json.CurrentTemperature);
    if (typeof json.SetPointTemperature === 'number') {
      const sp = json.SetPointTemperature;
      if (sp === NO_SET_POINT)
        this.sample(node, 'thermostat', 'temperature_setpoint', t, null, QUALITY_NO_DATA);
      else this.sample(node, 'thermostat', 'temperature_setpoint', t, sp);
    }
    if (typeof json.L1On === 'boolean') this.sample(node, 'relay', 'relay_1_state', t, json.L1On ? 1 : 0);
    if (typeof json.L2On === 'boolean') this.sample(node, 'relay', 'relay_2_state', t, json.L2On ? 1 : 0);
  }

  /** A NodeStatus object went out. */
  servedStatus(node: PrefectNode, r: PrefectReading, json: Served): void {
    this.common(node, r, json);
    const t = r.receivedAt;
    if (typeof json.TemperatureAdjustment === 'number')
      this.sample(node, 'thermostat', 'temperature_adjustment', t, json.TemperatureAdjustment);
    if (typeof json.PresenceIsDetected === 'boolean')
      this.sample(node, 'pir', 'presence', t, json.PresenceIsDetected ? 1 : 0);
    this.remember(node, r, true);
  }

  /** A NodeHistory entry went out. */
  servedHistory(node: PrefectNode, r: PrefectReading, json: Served): void {
    this.common(node, r, json);
    this.remember(node, r, false);
  }

  private sorted(): { node: PrefectNode; list: [number, ServedReading][] }[] {
    return [...this.readings.values()].map(({ node, byTime }) => ({
      node,
      list: [...byTime.entries()].sort((a, b) => a[0] - b[0]),
    }));
  }

  protected override derivedSeries(): RecordedSeries[] {
    const out: RecordedSeries[] = [];
    for (const { node, list } of this.sorted()) {
      const samples: RecordedSeries['samples'] = [];
      for (let i = 1; i < list.length; i++) {
        const [prevT] = list[i - 1] as [number, ServedReading];
        const [t, r] = list[i] as [number, ServedReading];
        const gap = t - prevT;
        if (gap > ENERGY_MAX_GAP_S) continue;
        // The line(s) on at this reading, for the time since the previous one; W·s → kWh.
        const watts = (r.l1On ? node.l1LoadWatts : 0) + (r.l2On ? node.l2LoadWatts : 0);
        samples.push([new Date(t * 1000).toISOString(), (watts * gap) / 3_600_000, QUALITY_GOOD]);
      }
      if (samples.length > 0) {
        out.push({
          gateway: node.site,
          node: String(node.address),
          device: 'relay',
          parameter: 'calculated_energy_consumption',
          samples,
        });
      }
    }
    return out;
  }

  protected override derivedEvents(): SetPointEvent[] {
    const out: SetPointEvent[] = [];
    const value = (sp: number) => (sp === NO_SET_POINT ? null : sp);
    for (const { node, list } of this.sorted()) {
      for (let i = 1; i < list.length; i++) {
        const [, prev] = list[i - 1] as [number, ServedReading];
        const [t, r] = list[i] as [number, ServedReading];
        if (prev.setPoint === r.setPoint) continue;
        out.push({
          gateway: node.site,
          node: String(node.address),
          device: 'thermostat',
          parameter: 'temperature_setpoint',
          ts: new Date(t * 1000).toISOString(),
          from: value(prev.setPoint),
          to: value(r.setPoint),
          origin: r.adjusted ? 'override' : 'schedule',
          exposedBy: r.viaStatus ? 'status' : 'history',
        });
      }
    }
    return out;
  }

  override clear(): void {
    super.clear();
    this.readings.clear();
  }
}
