import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ENERGY_MAX_GAP_S, NO_SET_POINT, startPrefectSim, type PrefectSim } from '../src/index.js';

// The simulator over real HTTP: auth, answer shapes, history days, the record, faults.

const START = '2026-11-10T12:00:00Z';
let sim: PrefectSim;

async function get(site: string, path: string, token = sim.credentials[site]!.token, signal?: AbortSignal) {
  return fetch(`${sim.url}${site}/${path}`, { headers: { Authorization: `Bearer ${token}` }, signal });
}

async function json<T = unknown>(site: string, path: string): Promise<T> {
  const res = await get(site, path);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

type Status = Record<string, unknown> & {
  Address: number;
  LastReceiveAt: number;
  SetPointTemperature: number;
};
type History = [{ Address: number; History: (Record<string, unknown> & { ReceivedAt: number })[] }];

beforeAll(async () => {
  sim = await startPrefectSim({ sites: 2, nodes: 6, seed: 11, clock: { start: START }, overrideRate: 0.5 });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.record.clear();
  sim.faults.clear();
  sim.clock.set(START);
});

describe('Prefect simulator: auth', () => {
  it('answers 401 with ASP.NET’s message for a wrong, missing or other site’s token', async () => {
    const [a, b] = sim.sites as [string, string];
    for (const res of [
      await get(a, 'NodeStatus', 'nope'),
      await get(a, 'NodeStatus', sim.credentials[b]!.token),
      await fetch(`${sim.url}${a}/NodeStatus`),
    ]) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ Message: 'Authorization has been denied for this request.' });
    }
    expect(sim.record.requests(a)).toEqual([
      { gateway: a, kind: 'NodeStatus', outcome: 'refused', count: 3 },
    ]);
    expect(sim.record.series()).toEqual([]);
    expect((await get(a, 'NodeStatus')).status).toBe(200);
  });
});

describe('Prefect simulator: answers', () => {
  it('serves NodeAddresses, NodeStatus and NodeConfiguration with the documented fields', async () => {
    const site = sim.sites[0]!;
    const addresses = await json<number[]>(site, 'NodeAddresses');
    expect(addresses).toEqual(sim.nodes(site).map((n) => n.address));
    const status = await json<Status[]>(site, 'NodeStatus');
    expect(status.map((s) => s.Address)).toEqual(addresses);
    for (const s of status) {
      expect(Object.keys(s).sort()).toEqual(
        [
          'Address',
          'AdjustedAtReceiver',
          'CurrentTemperature',
          'L1On',
          'L2On',
          'LastReceiveAt',
          'ProgramName',
          'RoomName',
          'SetPointTemperature',
          'TemperatureAdjustment',
          'PresenceIsDetected',
        ].sort(),
      );
      expect(s.LastReceiveAt).toBeLessThanOrEqual(Date.parse(START) / 1000);
      expect(s.LastReceiveAt).toBeGreaterThan(Date.parse(START) / 1000 - 1000);
    }
    const one = await json<Status[]>(site, `NodeStatus/${addresses[1]}`);
    expect(one).toEqual([status[1]]);
    const node = sim.nodes(site)[1]!;
    expect(await json(site, `NodeConfiguration/${node.address}`)).toEqual([
      {
        Address: node.address,
        L1LoadWatts: node.l1LoadWatts,
        L2LoadWatts: node.l2LoadWatts,
        RoomName: node.roomName,
      },
    ]);
    expect(await json(site, 'NodeStatus/9999')).toEqual([]);
    expect((await get(site, 'NodeHistory/x/1')).status).toBe(400);
    expect((await get('NOWHERE', 'NodeStatus', 'x')).status).toBe(404);
  });

  it('moves with the simulated clock', async () => {
    const site = sim.sites[0]!;
    const before = await json<Status[]>(site, 'NodeStatus');
    sim.clock.advance(3_600_000);
    const after = await json<Status[]>(site, 'NodeStatus');
    for (let i = 0; i < before.length; i++) {
      expect(after[i]!.LastReceiveAt - before[i]!.LastReceiveAt).toBeGreaterThan(3000);
    }
  });

  it('serves history as UTC days that tile the past, and day 0 ends with the current status', async () => {
    const site = sim.sites[1]!;
    const address = sim.nodes(site)[0]!.address;
    const nowS = Date.parse(START) / 1000;
    const days: number[][] = [];
    for (const d of [0, 1, 2]) {
      const [h] = await json<History>(site, `NodeHistory/${d}/${address}`);
      expect(h.Address).toBe(address);
      const times = h.History.map((e) => e.ReceivedAt);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      const dayStart = (Math.floor(nowS / 86_400) - d) * 86_400;
      expect(times.every((t) => t >= dayStart && t < dayStart + 86_400 && t <= nowS)).toBe(true);
      for (const e of h.History) {
        expect(Object.keys(e).sort()).toEqual([
          'CurrentTemperature',
          'L1On',
          'L2On',
          'ProgramName',
          'ReceivedAt',
          'SetPointTemperature',
        ]);
      }
      days.push(times);
    }
    // Day 1 is a whole day of ~300 s reports; day 0 runs up to now.
    expect(days[1]!.length).toBeGreaterThan(250);
    const [status] = await json<Status[]>(site, `NodeStatus/${address}`);
    expect(days[0]![days[0]!.length - 1]).toBe(status!.LastReceiveAt);
    // Before installation (60 days by default) there is nothing.
    expect(await json(site, `NodeHistory/70/${address}`)).toEqual([{ Address: address, History: [] }]);
  });
});

describe('Prefect simulator: record', () => {
  it('records exactly the samples served, with -100 as null / no data', async () => {
    const site = sim.sites[0]!;
    const nodes = sim.nodes(site);
    const histories: History[0][] = [];
    for (const n of nodes) histories.push((await json<History>(site, `NodeHistory/1/${n.address}`))[0]);
    const status = await json<Status[]>(site, 'NodeStatus');
    let sentinel = 0;
    for (const [i, n] of nodes.entries()) {
      const expected = histories[i]!.History.map((e) => [
        new Date(e.ReceivedAt * 1000).toISOString(),
        e.SetPointTemperature === NO_SET_POINT ? null : e.SetPointTemperature,
        e.SetPointTemperature === NO_SET_POINT ? 3 : 0,
      ]);
      sentinel += expected.filter((s) => s[1] === null).length;
      const s = status[i]!;
      expected.push([
        new Date(s.LastReceiveAt * 1000).toISOString(),
        s.SetPointTemperature === NO_SET_POINT ? null : s.SetPointTemperature,
        s.SetPointTemperature === NO_SET_POINT ? 3 : 0,
      ]);
      expect(sim.record.samples(site, String(n.address), 'thermostat', 'temperature_setpoint')).toEqual(
        expected,
      );
      // Presence and the adjustment are only in NodeStatus.
      expect(sim.record.samples(site, String(n.address), 'pir', 'presence')).toEqual([
        [new Date(s.LastReceiveAt * 1000).toISOString(), s.PresenceIsDetected ? 1 : 0, 0],
      ]);
    }
    // With seed 11 some rooms have no set point at night.
    expect(sentinel).toBeGreaterThan(0);
  });

  it('derives energy only across gaps of at most 500 s, from the lines on', async () => {
    const site = sim.sites[0]!;
    let skipped = 0;
    for (const n of sim.nodes(site)) {
      const [h] = await json<History>(site, `NodeHistory/2/${n.address}`);
      const energy = new Map(
        sim.record
          .samples(site, String(n.address), 'relay', 'calculated_energy_consumption')
          .map((s) => [s[0], s[1]]),
      );
      for (let i = 1; i < h.History.length; i++) {
        const prev = h.History[i - 1]!;
        const cur = h.History[i]!;
        const gap = cur.ReceivedAt - prev.ReceivedAt;
        const ts = new Date(cur.ReceivedAt * 1000).toISOString();
        if (gap > ENERGY_MAX_GAP_S) {
          skipped++;
          expect(energy.has(ts)).toBe(false);
        } else {
          const watts = (cur.L1On ? n.l1LoadWatts : 0) + (cur.L2On ? n.l2LoadWatts : 0);
          expect(energy.get(ts)).toBeCloseTo((watts * gap) / 3_600_000, 9);
        }
      }
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it('records set-point changes with their origin', async () => {
    const site = sim.sites[1]!;
    sim.clock.set('2026-11-10T23:59:00Z');
    for (const n of sim.nodes(site)) await json(site, `NodeHistory/0/${n.address}`);
    const events = sim.record.events({ gateway: site });
    expect(events.some((e) => e.origin === 'schedule' && e.from === 18 && e.to === 21)).toBe(true);
    const overrides = events.filter((e) => e.origin === 'override');
    expect(overrides.length).toBeGreaterThan(0);
    expect(events.every((e) => e.exposedBy === 'history' && e.device === 'thermostat')).toBe(true);
    // The model agrees: the reading at an override event was adjusted at the receiver.
    for (const e of overrides)
      expect(sim.readingAt(site, Number(e.node), Date.parse(e.ts))?.adjustedAtReceiver).toBe(true);
  });

  it('counts polls per interval, so a double poll shows', async () => {
    const site = sim.sites[0]!;
    await json(site, 'NodeStatus');
    sim.clock.advance(300_000);
    await json(site, 'NodeStatus');
    await json(site, 'NodeStatus/' + sim.nodes(site)[0]!.address); // one node: not a poll
    expect(sim.record.doublePolls()).toEqual([]);
    await json(site, 'NodeStatus');
    expect(sim.record.doublePolls()).toEqual([
      { gateway: site, interval: new Date(Date.parse(START) + 300_000).toISOString(), count: 2 },
    ]);
    expect(sim.record.pollTimes(site)).toHaveLength(3);
  });
});

describe('Prefect simulator: faults', () => {
  it('answers 500, malformed JSON and a missing field once each, for that gateway only', async () => {
    const [site, other] = sim.sites as [string, string];
    sim.faults.next(site, 'http500');
    sim.faults.next(site, 'malformed');
    sim.faults.next(site, 'missingField');
    expect((await get(other, 'NodeStatus')).status).toBe(200);
    const r500 = await get(site, 'NodeStatus');
    expect(r500.status).toBe(500);
    expect(await r500.json()).toEqual({ Message: 'An error has occurred.' });
    const malformed = await get(site, 'NodeStatus');
    expect(malformed.status).toBe(200);
    await expect(malformed.clone().json()).rejects.toThrow();
    const missing = await json<Status[]>(site, 'NodeStatus');
    expect('CurrentTemperature' in missing[0]!).toBe(false);
    expect('CurrentTemperature' in missing[1]!).toBe(true);
    const first = String(missing[0]!.Address);
    expect(sim.record.samples(site, first, 'thermostat', 'current_temperature')).toEqual([]);
    expect(sim.record.samples(site, first, 'thermostat', 'temperature_setpoint')).toHaveLength(1);
    expect(
      sim.record.samples(site, String(missing[1]!.Address), 'thermostat', 'current_temperature'),
    ).toHaveLength(1);
    const outcomes = sim.record.requests(site).map((r) => `${r.outcome}:${r.count}`);
    expect(outcomes).toEqual(['fault:http500:1', 'fault:malformed:1', 'fault:missingField:1']);
    expect((await get(site, 'NodeStatus')).status).toBe(200);
  });

  it('holds a timed-out request open and adds latency', async () => {
    const site = sim.sites[0]!;
    sim.faults.next(site, 'timeout');
    await expect(get(site, 'NodeStatus', undefined, AbortSignal.timeout(300))).rejects.toThrow();
    sim.faults.set(site, { latencyMs: 250 });
    const t0 = Date.now();
    expect((await get(site, 'NodeAddresses')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
  });

  it('fails about as often as the rate says', async () => {
    const site = sim.sites[1]!;
    sim.faults.set(site, { failRate: 0.5 });
    let failed = 0;
    for (let i = 0; i < 40; i++) if ((await get(site, 'NodeAddresses')).status === 500) failed++;
    expect(failed).toBeGreaterThan(10);
    expect(failed).toBeLessThan(30);
  });

  it('makes a node disappear and come back', async () => {
    const site = sim.sites[0]!;
    const gone = sim.nodes(site)[2]!.address;
    sim.faults.removeNode(site, gone);
    expect(await json<number[]>(site, 'NodeAddresses')).not.toContain(gone);
    expect((await json<Status[]>(site, 'NodeStatus')).map((s) => s.Address)).not.toContain(gone);
    expect(await json(site, `NodeHistory/0/${gone}`)).toEqual([]);
    sim.faults.restoreNode(site, gone);
    expect(await json<number[]>(site, 'NodeAddresses')).toContain(gone);
  });

  it('is driven from the control API too', async () => {
    const site = sim.sites[0]!;
    const origin = new URL(sim.url).origin;
    const post = (path: string, body: unknown) =>
      fetch(`${origin}/_sim/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('faults', { gateway: site, next: 'http500', count: 2 })).status).toBe(200);
    expect((await get(site, 'NodeStatus')).status).toBe(500);
    expect((await get(site, 'NodeStatus')).status).toBe(500);
    expect((await get(site, 'NodeStatus')).status).toBe(200);
    expect(await (await post('clock', { advanceMs: 60_000 })).json()).toEqual({
      now: '2026-11-10T12:01:00.000Z',
      rate: 0,
    });
    const polls = (await (await fetch(`${origin}/_sim/record/polls?gateway=${site}`)).json()) as unknown[];
    expect(polls).toEqual([{ gateway: site, interval: START.replace('Z', '.000Z'), count: 3 }]);
    expect((await post('faults', { next: 'boom' })).status).toBe(400);
  });
});
