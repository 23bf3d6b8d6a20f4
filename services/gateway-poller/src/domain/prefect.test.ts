import { describe, expect, it } from '@jest/globals';
import { mapPrefect, parseNodeHistory, parseNodeStatus, relayEnergyKWh, type NodeConfig } from './prefect.js';

const status = (over: Record<string, unknown> = {}) => ({
  Address: 3,
  AdjustedAtReceiver: false,
  CurrentTemperature: 19.5,
  L1On: false,
  L2On: true,
  LastReceiveAt: 1_780_000_000,
  ProgramName: 'Heating',
  RoomName: 'L Stairwell First',
  SetPointTemperature: 20,
  TemperatureAdjustment: 0.5,
  PresenceIsDetected: true,
  ...over,
});
const configs = new Map<number, NodeConfig>([[3, { address: 3, l1LoadWatts: 1000, l2LoadWatts: 2000 }]]);

describe('Prefect mapping', () => {
  it('maps a node to thermostat, pir and relay points keyed by address, the room as display name', () => {
    const { readings } = parseNodeStatus([status()]);
    const { points, cursors } = mapPrefect(readings, configs, new Map());
    const byName = Object.fromEntries(points.list().map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual([
      '3.pir.presence',
      '3.relay.relay_1_state',
      '3.relay.relay_2_state',
      '3.thermostat.current_temperature',
      '3.thermostat.temperature_adjustment',
      '3.thermostat.temperature_setpoint',
    ]);
    const ts = '2026-05-28T20:26:40.000Z';
    expect(byName['3.thermostat.current_temperature']!.samples).toEqual([[ts, 19.5, 0]]);
    expect(byName['3.thermostat.current_temperature']!.unit).toBe('°C');
    expect(byName['3.thermostat.temperature_setpoint']!.samples).toEqual([[ts, 20, 0]]);
    expect(byName['3.pir.presence']!.samples).toEqual([[ts, 1, 0]]);
    expect(byName['3.relay.relay_2_state']!.samples).toEqual([[ts, 1, 0]]);
    expect(byName['3.pir.presence']!.meta).toEqual({ address: 3, roomName: 'L Stairwell First' });
    expect(cursors.get(3)).toEqual({ ts: 1_780_000_000_000, setPoint: 20 });
  });

  it('computes relay energy from the line that is on × the time since the previous reading', () => {
    const { readings } = parseNodeStatus([status({ LastReceiveAt: 1_780_000_300 })]);
    const { points } = mapPrefect(readings, configs, new Map([[3, { ts: 1_780_000_000_000, setPoint: 20 }]]));
    const energy = points.list().find((p) => p.parameter === 'calculated_energy_consumption');
    // L2 on, 2000 W × 300 s = 0.1666… kWh
    expect(energy!.samples[0]![1]).toBeCloseTo((2000 * 300) / 3_600_000, 12);
    expect(energy!.unit).toBe('kWh');
  });

  it('does not compute energy when the previous reading is more than 500 s old', () => {
    expect(
      relayEnergyKWh({ ts: 501_000, l1On: true, l2On: true }, { ts: 0 }, configs.get(3)),
    ).toBeUndefined();
    expect(relayEnergyKWh({ ts: 500_000, l1On: true, l2On: true }, { ts: 0 }, configs.get(3))).toBeCloseTo(
      (3000 * 500) / 3_600_000,
      12,
    );
    expect(relayEnergyKWh({ ts: 100_000, l1On: false, l2On: false }, { ts: 0 }, configs.get(3))).toBe(0);
    expect(
      relayEnergyKWh({ ts: 100_000, l1On: true, l2On: false }, undefined, configs.get(3)),
    ).toBeUndefined();
  });

  it('reads set point -100 as no data, never as -100 °C', () => {
    const { readings } = parseNodeStatus([status({ SetPointTemperature: -100 })]);
    const { points, cursors } = mapPrefect(readings, configs, new Map());
    const sp = points.list().find((p) => p.parameter === 'temperature_setpoint');
    expect(sp!.samples).toEqual([['2026-05-28T20:26:40.000Z', null, 3]]);
    expect(cursors.get(3)!.setPoint).toBeNull();
  });

  it('turns a set-point change into an event: override at the receiver, schedule otherwise', () => {
    const { readings } = parseNodeHistory([
      {
        Address: 3,
        History: [
          { CurrentTemperature: 18, L1On: false, L2On: false, ReceivedAt: 100, SetPointTemperature: 18 },
          { CurrentTemperature: 18, L1On: false, L2On: false, ReceivedAt: 200, SetPointTemperature: 21 },
          { CurrentTemperature: 18, L1On: false, L2On: false, ReceivedAt: 300, SetPointTemperature: -100 },
        ],
      },
    ]);
    const status2 = parseNodeStatus([
      status({ LastReceiveAt: 400, SetPointTemperature: 22.5, AdjustedAtReceiver: true }),
    ]);
    const { events } = mapPrefect([...status2.readings, ...readings], configs, new Map());
    expect(events).toEqual([
      expect.objectContaining({
        ts: 200_000,
        from: 18,
        to: 21,
        origin: 'schedule',
        name: '3.thermostat.temperature_setpoint',
      }),
      expect.objectContaining({ ts: 300_000, from: 21, to: null, origin: 'schedule' }),
      expect.objectContaining({ ts: 400_000, from: null, to: 22.5, origin: 'override' }),
    ]);
  });

  it('skips readings at or before the node cursor, so a repeated poll adds nothing', () => {
    const { readings } = parseNodeStatus([status()]);
    const { points, events } = mapPrefect(
      readings,
      configs,
      new Map([[3, { ts: 1_780_000_000_000, setPoint: 5 }]]),
    );
    expect(points.sampleCount).toBe(0);
    expect(events).toEqual([]);
  });

  it('keeps the good nodes and the good fields of an answer with a malformed node', () => {
    const { CurrentTemperature: _dropped, ...noTemperature } = status({ Address: 4 });
    const { readings, rejected } = parseNodeStatus([
      status(),
      noTemperature,
      { Address: 6 },
      status({ Address: 5 }),
    ]);
    expect(readings.map((r) => r.address)).toEqual([3, 4, 5]);
    expect(rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/CurrentTemperature/),
      'no LastReceiveAt',
    ]);
    const { points } = mapPrefect(readings, configs, new Map());
    const names = points
      .list()
      .filter((p) => p.node === '4')
      .map((p) => p.parameter);
    expect(names).not.toContain('current_temperature');
    expect(names).toContain('temperature_setpoint');
    expect(parseNodeStatus({ error: 'x' }).rejected).toHaveLength(1);
  });
});
