import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startPrefectSim, type PrefectSim } from '@ep/gateway-sim';
import { waitFor } from '@ep/testkit';
import { createBed, type Bed } from './support.js';

jest.setTimeout(180_000);

/**
 * Lease period and poll interval, chosen for a loaded 2-core machine. A lease is renewed every
 * third of it, so a killed replica's leases lapse within one period of its last renewal and the
 * survivor's next round takes them within a third more: take-over is due by 4/3 of a period,
 * and the check at two periods leaves 2/3 (4 s) for a busy event loop. A poll calls the gateway
 * at most 75 % into its slot (LATEST_START), leaving a quarter of the interval (1.5 s) for the
 * request to reach the simulator, whose clock decides the slot it is counted in.
 */
const LEASE_MS = 6_000;
const INTERVAL_S = 6;

/**
 * Two replicas share 20 gateways through NATS KV leases: the simulator counts no gateway polled
 * twice in one interval; after one replica is SIGKILLed the other takes its gateways over within
 * two lease periods, and polls every one of them.
 */
describe('two gateway-poller replicas', () => {
  let bed: Bed;
  let sim: PrefectSim;

  beforeAll(async () => {
    // Real time, and the record's poll intervals are the poller's (aligned to the epoch).
    sim = await startPrefectSim({
      sites: 20,
      nodes: 2,
      seed: 5,
      clock: { rate: 1 },
      installedAt: new Date(Date.now() - 60_000),
      reportIntervalS: 10,
      pollIntervalS: INTERVAL_S,
    });
    bed = await createBed('gwreplicas');
    for (const site of sim.sites) {
      const key = site.toLowerCase();
      await bed.addSite(key);
      await bed.addGateway({ name: key, site: key, vendor: 'prefect', url: sim.url, interval: INTERVAL_S });
      await bed.writeSecret(key, sim.credentials[site]);
    }
  });

  afterAll(async () => {
    await bed?.close();
    await sim?.close();
  });

  it('polls each gateway once per interval across both, and the survivor takes a killed replica’s gateways', async () => {
    const env = { EP_GATEWAY_LEASE_MS: String(LEASE_MS) };
    const a = await bed.spawnPoller({ ...env, EP_GATEWAY_REPLICA_ID: 'replica-a' });
    const b = await bed.spawnPoller({ ...env, EP_GATEWAY_REPLICA_ID: 'replica-b' });
    const owners = async () =>
      (await bed.db.selectFrom('gateway_status').select(['owner', 'last_success_at']).execute()).map(
        (r) => r.owner,
      );
    // Both hold a share.
    await waitFor(
      async () => {
        const o = await owners();
        return o.length === 20 && o.includes('replica-a') && o.includes('replica-b');
      },
      { timeoutMs: 60_000, what: 'both replicas polling' },
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_S * 1000));
    for (const site of sim.sites) expect(sim.record.pollTimes(site).length).toBeGreaterThan(0);
    expect(sim.record.doublePolls()).toEqual([]);

    const held = async (port: number) =>
      (await fetch(`http://127.0.0.1:${port}/status`).then((r) => r.json() as Promise<{ held: string[] }>))
        .held;
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await new Promise((resolve) => a.child.once('exit', resolve));
    await waitFor(async () => (await held(b.port)).length === 20, {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'replica-b holding every gateway',
    });
    const tookOverMs = Date.now() - killedAt;
    expect({ tookOverMs, within: tookOverMs < 2 * LEASE_MS }).toEqual({ tookOverMs, within: true });
    // And polls them all: at the latest in the slot after the one the killed replica polled in.
    const tookOverAt = Date.now();
    await waitFor(
      async () => {
        const rows = await bed.db.selectFrom('gateway_status').select(['owner', 'last_poll_at']).execute();
        return rows.every((r) => r.owner === 'replica-b' && r.last_poll_at!.getTime() > tookOverAt);
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'replica-b polling every gateway' },
    );
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_S * 1000));
    expect(sim.record.doublePolls()).toEqual([]);
    expect(await held(b.port)).toHaveLength(20);
  });
});
