import { BaseRecord, QUALITY_GOOD, QUALITY_NO_DATA, type SetPointEvent } from '../record.js';

interface ServedTarget {
  value: number | null;
  origin: 'override' | 'schedule';
}

/**
 * Secure's record: one sample per value served (`CV` parsed as a number; a `CV` that is not a
 * number is recorded null with quality 3), and target-temperature changes between consecutive
 * values served for a thermostat.
 */
export class SecureRecord extends BaseRecord {
  private readonly targets = new Map<
    string,
    { gateway: string; node: string; device: string; byTime: Map<number, ServedTarget> }
  >();

  servedValue(
    gateway: string,
    zid: number,
    dRefId: number,
    parameter: string,
    atMs: number,
    cv: string,
    fromWrite: boolean,
  ): void {
    if (!this.keepsSamples) return;
    const n = cv.trim() === '' ? NaN : Number(cv);
    const value = Number.isFinite(n) ? n : null;
    const node = String(zid);
    const device = String(dRefId);
    this.addSample(
      { gateway, node, device, parameter },
      atMs,
      value,
      value === null ? QUALITY_NO_DATA : QUALITY_GOOD,
    );
    if (parameter !== 'target_temperature') return;
    const k = `${gateway}\u0000${node}\u0000${device}`;
    let entry = this.targets.get(k);
    if (!entry) this.targets.set(k, (entry = { gateway, node, device, byTime: new Map() }));
    entry.byTime.set(atMs, { value, origin: fromWrite ? 'override' : 'schedule' });
  }

  protected override derivedEvents(): SetPointEvent[] {
    const out: SetPointEvent[] = [];
    for (const { gateway, node, device, byTime } of this.targets.values()) {
      const list = [...byTime.entries()].sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < list.length; i++) {
        const [, prev] = list[i - 1] as [number, ServedTarget];
        const [t, cur] = list[i] as [number, ServedTarget];
        if (prev.value === cur.value) continue;
        out.push({
          gateway,
          node,
          device,
          parameter: 'target_temperature',
          ts: new Date(t).toISOString(),
          from: prev.value,
          to: cur.value,
          origin: cur.origin,
        });
      }
    }
    return out;
  }

  override clear(): void {
    super.clear();
    this.targets.clear();
  }
}
