import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { natsNames, type StoredSetpoint } from '@ep/contracts';
import { startPrefectSim, type PrefectSim } from '@ep/gateway-sim';
import { infraUrls, waitFor } from '@ep/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { listGateways } from '../src/db/gateways.repo.js';
import type { GatewayPoller } from '../src/poller.js';
import type { Database } from '@ep/schema';
import { createBed, recordMap, rounded, type Bed } from './support.js';

jest.setTimeout(120_000);

/**
 * Prefect end to end: simulator → poller → NATS → measurement-store → PostgreSQL, compared with
 * the simulator's record of what it served. The simulated clock is moved one report interval
 * per poll, and polls are driven one by one, so every report is shown by NodeStatus once.
 */
describe('gateway-poller against the Prefect simulator', () => {
  let bed: Bed;
  let sim: PrefectSim;
  let poller: GatewayPoller;

  beforeAll(async () => {
    sim = await startPrefectSim({
      sites: 2,
      nodes: 24,
      seed: 7,
      clock: { start: '2026-06-10T05:00:00Z' },
      dropoutRate: 0.15,
      overrideRate: 1,
    });
    bed = await createBed('gwprefect');
    const [good, bad] = sim.sites as [string, string];
    await bed.addSite(good.toLowerCase());
    await bed.addSite(bad.toLowerCase());
    await bed.addGateway({
      name: 'good',
      site: good.toLowerCase(),
      vendor: 'prefect',
      url: sim.url,
      interval: 300,
    });
    await bed.addGateway({
      name: 'wrong',
      site: bad.toLowerCase(),
      vendor: 'prefect',
      url: sim.url,
      interval: 300,
    });
    await bed.writeSecret('good', sim.credentials[good]);
    await bed.writeSecret('wrong', { token: 'not-the-token' });
    // Built, not started: this test drives the polls itself.
    poller = await (
      await import('../src/poller.js')
    ).createGatewayPoller((await import('../src/config.js')).parseGatewayPollerConfig(bed.env()), {
      logger: (await import('@ep/logger')).silentLogger(),
      exit: () => undefined,
    });
    const gateways = await listGateways(bed.db);
    for (let i = 0; i < 48; i++) {
      sim.clock.advance(300_000);
      for (const gw of gateways) await poller.scheduler.pollOnce(gw);
    }
  });

  afterAll(async () => {
    await poller?.lifecycle.stop();
    await bed?.close();
    await sim?.close();
  });

  it('stores exactly what the simulator served: mapping, −100 as no data, energy only over gaps ≤ 500 s', async () => {
    const site = sim.sites[0]!;
    const expected = rounded(recordMap(sim.record.series({ gateway: site })));
    let stored = new Map();
    await waitFor(
      async () => {
        stored = rounded(await bed.storedAll(site.toLowerCase()));
        return (
          [...expected.values()].reduce((n, s) => n + s.length, 0) ===
          [...stored.values()].reduce((n, s) => n + s.length, 0)
        );
      },
      { timeoutMs: 30_000, what: 'every served sample stored' },
    ).catch(() => undefined);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    const differing = [...expected].filter(
      ([key, samples]) => JSON.stringify(stored.get(key)) !== JSON.stringify(samples),
    );
    for (const [key, samples] of differing.slice(0, 3))
      expect([key, stored.get(key)]).toEqual([key, samples]);
    expect(differing.map(([k]) => k)).toEqual([]);

    // The sentinel: set points with no value are stored as null / quality 3, never −100.
    const setpoints = [...stored]
      .filter(([k]) => k.endsWith('/thermostat/temperature_setpoint'))
      .flatMap(([, s]) => s);
    expect(setpoints.some(([, v, q]) => v === null && q === 3)).toBe(true);
    expect(setpoints.some(([, v]) => v === -100)).toBe(false);

    // The 500 s rule: there were gaps over 500 s, and no energy sample at the reading after one.
    let gaps = 0;
    for (const [key, temps] of stored) {
      if (!key.endsWith('/thermostat/current_temperature')) continue;
      const node = key.split('/')[0]!;
      const energyTs = new Set(
        (stored.get(`${node}/relay/calculated_energy_consumption`) ?? []).map((s: [string]) => s[0]),
      );
      for (let i = 1; i < temps.length; i++) {
        const gap = (Date.parse(temps[i]![0]) - Date.parse(temps[i - 1]![0])) / 1000;
        if (gap > 500) {
          gaps += 1;
          expect(energyTs.has(temps[i]![0])).toBe(false);
        } else expect(energyTs.has(temps[i]![0])).toBe(true);
      }
    }
    expect(gaps).toBeGreaterThan(0);
  });

  it('stores set-point changes as events, override vs schedule as the receiver said, and puts them on the STORED stream', async () => {
    const site = sim.sites[0]!;
    const served = sim.record.events({ gateway: site });
    const rows = await bed.db
      // Written by measurement-store from the events in the poller's readings batches.
      .withTables<Pick<Database, 'setpoint_events'>>()
      .selectFrom('setpoint_events')
      .select(['node', 'device', 'parameter', 'ts', 'from_value', 'to_value', 'origin'])
      .orderBy('node')
      .orderBy('ts')
      .execute();
    const key = (e: { node: string; ts: string }) => `${e.node}@${e.ts}`;
    const mine = new Map(rows.map((r) => [key({ node: r.node, ts: r.ts.toISOString() }), r]));
    expect(rows).toHaveLength(served.length);
    for (const e of served) {
      const row = mine.get(key(e));
      expect(row).toMatchObject({
        device: 'thermostat',
        parameter: 'temperature_setpoint',
        from_value: e.from,
        to_value: e.to,
      });
      // History entries carry no AdjustedAtReceiver: only a change NodeStatus showed has a known origin.
      if (e.exposedBy === 'status') expect([key(e), row!.origin]).toEqual([key(e), e.origin]);
    }
    const statusShown = served.filter((e) => e.exposedBy === 'status');
    expect(statusShown.some((e) => e.origin === 'override')).toBe(true);
    expect(statusShown.some((e) => e.origin === 'schedule')).toBe(true);

    const nc = await connect({ servers: infraUrls().natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const names = natsNames(bed.prefix);
      // Counted with an ordered consumer on the site's set-point subject.
      const consumer = await jetstream(nc).consumers.get(names.streams.stored, {
        filter_subjects: names.subjects.storedSetpoints(site.toLowerCase()),
      });
      let count = 0;
      const batch = await consumer.fetch({ max_messages: 10_000, expires: 3_000 });
      for await (const m of batch) {
        count += 1;
        if (m.info.pending === 0) break;
      }
      expect(count).toBe(served.length);
      const last = await jsm.streams.getMessage(names.streams.stored, {
        last_by_subj: names.subjects.storedSetpoints(site.toLowerCase()),
      });
      expect(last!.json<StoredSetpoint>()).toMatchObject({
        type: 'setpoint.changed',
        source: 'prefect',
        gateway: 'good',
      });
    } finally {
      await nc.close();
    }
  });

  it('shows a wrong credential on that gateway’s status while the other keeps flowing', async () => {
    const wrong = await bed.status('wrong');
    expect(wrong).toMatchObject({ last_error_kind: 'auth_refused', last_success_at: null });
    expect(String(wrong!['last_error'])).toContain('401');
    expect(String(wrong!['last_error'])).not.toContain('not-the-token');
    const good = await bed.status('good');
    expect(good).toMatchObject({ last_error: null });
    expect(good!['last_success_at']).toBeInstanceOf(Date);
  });
});
