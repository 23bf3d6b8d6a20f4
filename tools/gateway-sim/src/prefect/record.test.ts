import { describe, expect, it } from '@jest/globals';
import type { PrefectNode, PrefectReading } from './model.js';
import { PrefectRecord } from './record.js';

const node: PrefectNode = {
  site: 'BADOCK',
  address: 7,
  kind: 'room',
  roomName: 'A Ground Study 1',
  programName: 'Heating',
  l1LoadWatts: 1000,
  l2LoadWatts: 2000,
  nightOff: false,
  offset: 0,
};

function reading(t: number, over: Partial<PrefectReading> = {}): PrefectReading {
  return {
    address: 7,
    receivedAt: t,
    currentTemperature: 19,
    setPoint: 21,
    adjustedAtReceiver: false,
    temperatureAdjustment: 0,
    l1On: false,
    l2On: false,
    presence: false,
    programName: 'Heating',
    ...over,
  };
}

function json(r: PrefectReading): Record<string, unknown> {
  return {
    CurrentTemperature: r.currentTemperature,
    SetPointTemperature: r.setPoint,
    L1On: r.l1On,
    L2On: r.l2On,
    TemperatureAdjustment: r.temperatureAdjustment,
    PresenceIsDetected: r.presence,
  };
}

const iso = (s: number) => new Date(s * 1000).toISOString();

describe('Prefect record: what EP is expected to derive', () => {
  it('computes energy from the lines on at a reading, over at most 500 s, in time order whatever the serving order', () => {
    const rec = new PrefectRecord(300_000);
    const rs = [
      reading(1000),
      reading(1300, { l1On: true }),
      reading(1800, { l1On: true, l2On: true }), // 500 s: counted
      reading(2301, { l1On: true }), // 501 s: not counted
      reading(2600, { l2On: true }),
    ];
    // History first for the later readings, status for the earlier ones: the order does not matter.
    for (const r of rs.slice(2)) rec.servedHistory(node, r, json(r));
    for (const r of rs.slice(0, 2)) rec.servedStatus(node, r, json(r));
    expect(rec.samples('BADOCK', '7', 'relay', 'calculated_energy_consumption')).toEqual([
      [iso(1300), (1000 * 300) / 3_600_000, 0],
      [iso(1800), (3000 * 500) / 3_600_000, 0],
      [iso(2600), (2000 * 299) / 3_600_000, 0],
    ]);
  });

  it('records set-point changes with the no-set-point sentinel as null, and their origin', () => {
    const rec = new PrefectRecord(300_000);
    const rs = [
      reading(0, { setPoint: -100 }),
      reading(300, { setPoint: 21 }),
      reading(600, { setPoint: 23, adjustedAtReceiver: true }),
      reading(900, { setPoint: 23, adjustedAtReceiver: true }),
      reading(1200, { setPoint: 21 }),
    ];
    rec.servedStatus(node, rs[0]!, json(rs[0]!));
    rec.servedHistory(node, rs[1]!, json(rs[1]!));
    for (const r of rs.slice(2)) rec.servedStatus(node, r, json(r));
    expect(rec.samples('BADOCK', '7', 'thermostat', 'temperature_setpoint')[0]).toEqual([iso(0), null, 3]);
    expect(rec.events().map((e) => [e.ts, e.from, e.to, e.origin, e.exposedBy])).toEqual([
      [iso(300), null, 21, 'schedule', 'history'],
      [iso(600), 21, 23, 'override', 'status'],
      [iso(1200), 23, 21, 'schedule', 'status'],
    ]);
  });

  it('keeps only counts when samples are off', () => {
    const rec = new PrefectRecord(300_000, false);
    rec.servedStatus(node, reading(0), json(reading(0)));
    rec.countPoll('BADOCK', 0);
    rec.countPoll('BADOCK', 299_999);
    expect(rec.series()).toEqual([]);
    expect(rec.doublePolls()).toEqual([{ gateway: 'BADOCK', interval: iso(0), count: 2 }]);
  });
});
