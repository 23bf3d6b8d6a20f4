import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { natsNames } from '@ep/contracts';
import { startPrefectSim, type PrefectSim } from '@ep/gateway-sim';
import { silentLogger } from '@ep/logger';
import { publish } from '@ep/nats';
import { infraUrls, waitFor } from '@ep/testkit';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createPrefectClient, type PrefectClient } from '../src/adapters/prefect-client.js';
import { listGateways, type GatewayConfig } from '../src/db/gateways.repo.js';
import { ConfigCache, pollPrefect, type PollContext } from '../src/use-cases/poll-gateway.js';
import { createBed, recordMap, rounded, type Bed } from './support.js';

jest.setTimeout(60_000);

const REPORT_S = 60;

/**
 * Nodes that report while a poll walks their history: history then shows a reading newer than
 * the poll's NodeStatus. That reading must be stored whole — presence and adjustment included,
 * which only NodeStatus carries — not from history alone with the cursor moved past it, so that
 * the next NodeStatus showing it whole is skipped.
 */
describe('a Prefect history walk overtaken by new reports', () => {
  let bed: Bed;
  let sim: PrefectSim;
  let nc: NatsConnection;
  let gw: GatewayConfig;

  beforeAll(async () => {
    // Frozen clock: it moves only where this test moves it.
    sim = await startPrefectSim({
      sites: 1,
      nodes: 4,
      seed: 3,
      clock: { start: '2026-03-10T09:00:30Z' },
      installedAt: '2026-03-10T08:00:00Z',
      reportIntervalS: REPORT_S,
      dropoutRate: 0,
    });
    bed = await createBed('gwwalk');
    const site = sim.sites[0]!.toLowerCase();
    await bed.addSite(site);
    await bed.addGateway({ name: 'walk', site, vendor: 'prefect', url: sim.url, interval: REPORT_S });
    gw = (await listGateways(bed.db))[0]!;
    nc = await connect({ servers: infraUrls().natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await bed?.close();
    await sim?.close();
  });

  /** A poll's world as the scheduler gives it, publishing to this bed's READINGS stream. */
  function pollContext(): PollContext {
    const js = jetstream(nc);
    const names = natsNames(bed.prefix);
    return {
      db: bed.db,
      sink: {
        publishReadings: async (g, batch) => {
          await publish(js, names.subjects.readings(g.vendor, g.site), batch, { msgID: batch.batchId });
        },
      },
      logger: silentLogger(),
      now: () => sim.clock.now(),
      onRejected: () => undefined,
      onBackfillDay: () => undefined,
    };
  }
  const clientOf = (site: string) =>
    createPrefectClient({ baseUrl: sim.url, site, token: sim.credentials[site]!.token, timeoutMs: 10_000 });

  it('asks NodeStatus of the node again and stores the newest reading whole', async () => {
    const site = sim.sites[0]!;
    const real = clientOf(site);
    // The gateway's time moves on by a report period between the NodeStatus answer and the walk.
    const overtaken: PrefectClient = {
      ...real,
      nodeStatus: async () => {
        const body = await real.nodeStatus();
        sim.clock.advance(REPORT_S * 1000);
        return body;
      },
    };
    const ctx = pollContext();
    const cache = new ConfigCache();
    await pollPrefect(ctx, gw, overtaken, cache);
    const asked = sim.record.requests(site).filter((r) => r.kind === 'NodeStatus' && r.outcome === 'ok');
    // The poll's NodeStatus, and NodeStatus/{address} once for each of the 4 nodes.
    expect(asked.reduce((n, r) => n + r.count, 0)).toBe(5);
    // The next poll shows the same newest readings: nothing is left to take from them.
    await pollPrefect(ctx, gw, real, cache);

    const expected = rounded(recordMap(sim.record.series({ gateway: site })));
    const presence = [...expected].filter(([k]) => k.endsWith('/presence'));
    expect(presence.length).toBe(4);
    for (const [, samples] of presence) expect(samples.length).toBe(2);
    let stored = new Map();
    await waitFor(async () => {
      stored = rounded(await bed.storedAll(site.toLowerCase()));
      return (
        [...stored.values()].reduce((n, s) => n + s.length, 0) >=
        [...expected.values()].reduce((n, s) => n + s.length, 0)
      );
    }).catch(() => undefined);
    expect(Object.fromEntries(stored)).toEqual(Object.fromEntries(expected));
  });

  it('walks history each poll when the interval is longer than the nodes report: no report between two polls is skipped', async () => {
    const site = sim.sites[0]!;
    // Polled every two report periods (a gateway added with --interval 120 against nodes that
    // report every 60 s): one report in two is seen only by NodeHistory.
    const slow: GatewayConfig = { ...gw, intervalSeconds: 2 * REPORT_S };
    const client = clientOf(site);
    const ctx = pollContext();
    const cache = new ConfigCache();
    const key = [...(await bed.storedAll(site.toLowerCase())).keys()].find((k) =>
      k.endsWith('/thermostat/current_temperature'),
    )!;
    const node = key.split('/')[0]!;
    const before = await bed.stored(site.toLowerCase(), node, 'thermostat', 'current_temperature');
    for (let i = 0; i < 3; i++) {
      sim.clock.advance(2 * REPORT_S * 1000);
      await pollPrefect(ctx, slow, client, cache);
    }
    // Six report periods passed: about six reports (their times wander by a few seconds).
    const expectedCount = before.length + 5;
    let stored: Awaited<ReturnType<Bed['stored']>> = [];
    await waitFor(async () => {
      stored = await bed.stored(site.toLowerCase(), node, 'thermostat', 'current_temperature');
      return stored.length >= expectedCount;
    }).catch(() => undefined);
    // Every report the node made is stored: consecutive samples about one report period apart
    // (a skipped report would leave a gap of two).
    const gaps = stored.slice(1).map((s, i) => Date.parse(s[0]) - Date.parse(stored[i]![0]));
    expect(Math.max(...gaps)).toBeLessThan(1.5 * REPORT_S * 1000);
    expect(stored.length).toBeGreaterThanOrEqual(expectedCount);
  });
});
