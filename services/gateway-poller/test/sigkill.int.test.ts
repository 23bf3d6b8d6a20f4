import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startPrefectSim, type PrefectSim } from '@ep/gateway-sim';
import { waitFor } from '@ep/testkit';
import { createBed, recordMap, rounded, type Bed } from './support.js';

jest.setTimeout(240_000);

/**
 * The poller killed with SIGKILL mid-poll and started again later: the gap is backfilled from
 * NodeHistory and what is stored equals what the simulator served, none missing, none twice.
 */
describe('gateway-poller killed and restarted', () => {
  let bed: Bed;
  let sim: PrefectSim;

  beforeAll(async () => {
    // Real time (rate 1): the poller runs on its own schedule, as deployed.
    sim = await startPrefectSim({
      sites: 1,
      nodes: 6,
      seed: 11,
      clock: { rate: 1 },
      installedAt: new Date(Date.now() - 120_000),
      reportIntervalS: 10,
      pollIntervalS: 10,
    });
    bed = await createBed('gwkill');
    const site = sim.sites[0]!;
    await bed.addSite(site.toLowerCase());
    await bed.addGateway({
      name: 'kill',
      site: site.toLowerCase(),
      vendor: 'prefect',
      url: sim.url,
      interval: 2,
    });
    await bed.writeSecret('kill', sim.credentials[site]);
  });

  afterAll(async () => {
    await bed?.close();
    await sim?.close();
  });

  it('backfills the gap after a SIGKILL and stores exactly what was served', async () => {
    const site = sim.sites[0]!;
    const polls = () => sim.record.pollTimes(site).length;
    const first = await bed.spawnPoller({ LOG_LEVEL: 'warn' });
    await waitFor(() => polls() >= 3, { timeoutMs: 60_000, what: 'three polls' });
    // Killed mid-poll, while the simulator holds its NodeStatus request: the previous poll has
    // finished (one poll of a gateway at a time), and the held answer is never shown to anyone.
    // Not killed after an answer arrived: NodeStatus alone carries presence and the adjustment,
    // so those of a reading whose status answer died with the process are gone (README).
    sim.faults.holdNextPoll(site);
    const held = polls();
    await waitFor(() => polls() > held, { timeoutMs: 30_000, what: 'a poll held by the simulator' });
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const killedAt = sim.clock.now();
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    const restartedAt = sim.clock.now();
    const historyBefore = sim.record
      .requests(site)
      .filter((r) => r.kind === 'NodeHistory')
      .reduce((n, r) => n + r.count, 0);
    const before = polls();
    const second = await bed.spawnPoller({ LOG_LEVEL: 'warn' });
    await waitFor(() => polls() >= before + 3, { timeoutMs: 60_000, what: 'three polls after the restart' });
    // A clean stop, so the record compared below is everything the poller was shown.
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));
    // The gap was read from NodeHistory.
    const historyAfter = sim.record
      .requests(site)
      .filter((r) => r.kind === 'NodeHistory')
      .reduce((n, r) => n + r.count, 0);
    expect(historyAfter).toBeGreaterThan(historyBefore);

    const expected = rounded(recordMap(sim.record.series({ gateway: site })));
    const total = [...expected.values()].reduce((n, s) => n + s.length, 0);
    let stored = new Map();
    await waitFor(
      async () => {
        stored = rounded(await bed.storedAll(site.toLowerCase()));
        return [...stored.values()].reduce((n, s) => n + s.length, 0) >= total;
      },
      { timeoutMs: 30_000, what: 'every served sample stored' },
    ).catch(() => undefined);
    // Readings the gateway took while the poller was dead are there.
    const temps = [...expected].filter(([k]) => k.endsWith('/current_temperature')).flatMap(([, s]) => s);
    expect(
      temps.filter(([ts]) => Date.parse(ts) > killedAt + 1_000 && Date.parse(ts) < restartedAt - 1_000)
        .length,
    ).toBeGreaterThan(0);
    // Stored the served samples, the served ones only, each once.
    const differing = [...expected].filter(([k, s]) => JSON.stringify(stored.get(k)) !== JSON.stringify(s));
    for (const [key, samples] of differing.slice(0, 2))
      expect([key, stored.get(key)]).toEqual([key, samples]);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(differing.map(([k]) => k)).toEqual([]);
  });
});
