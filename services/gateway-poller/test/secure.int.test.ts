import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { natsNames, SetpointWriteAnswerV1 } from '@ep/contracts';
import { startSecureSim, type SecureSim } from '@ep/gateway-sim';
import { silentLogger } from '@ep/logger';
import { infraUrls, waitFor } from '@ep/testkit';
import { connect } from '@nats-io/transport-node';
import { parseGatewayPollerConfig } from '../src/config.js';
import { listGateways, type GatewayConfig } from '../src/db/gateways.repo.js';
import { createGatewayPoller, type GatewayPoller } from '../src/poller.js';
import { generateApiKey, insertApiKey } from '@ep/auth';
import { createDb } from '@ep/db';
import type { Database } from '@ep/schema';
import { createHttpServer } from '@ep/http';
import { natsSetpointControl, queryApi } from '@ep/query-api';
import pg from 'pg';
import { createBed, recordMap, rounded, type Bed } from './support.js';

jest.setTimeout(180_000);

/**
 * Secure end to end against its simulator: every request signed (the simulator refuses a bad
 * signature with 401, which would fail the poll), a session expired mid-run, and LUTs through
 * both 2026 Europe/London changes, compared with what the simulator served.
 */
describe('gateway-poller against the Secure simulator', () => {
  let bed: Bed;
  let sim: SecureSim;
  let poller: GatewayPoller;
  let gw: GatewayConfig;
  let site: string;

  async function pollEvery(minutes: number, until: string) {
    while (sim.clock.now() < Date.parse(until)) {
      sim.clock.advance(minutes * 60_000);
      await poller.scheduler.pollOnce(gw);
      const status = await bed.status('sec');
      expect([sim.clock.now(), status?.['last_error']]).toEqual([sim.clock.now(), null]);
    }
  }

  async function storedEqualsServed() {
    const expected = rounded(recordMap(sim.record.series({ gateway: site })));
    const total = [...expected.values()].reduce((n, s) => n + s.length, 0);
    let stored = new Map();
    await waitFor(
      async () => {
        stored = rounded(await bed.storedAll(site.toLowerCase()));
        return [...stored.values()].reduce((n, s) => n + s.length, 0) >= total;
      },
      { timeoutMs: 30_000, what: `${total} served samples stored` },
    ).catch(() => undefined);
    const differing = [...expected].filter(([k, s]) => JSON.stringify(stored.get(k)) !== JSON.stringify(s));
    for (const [key, samples] of differing.slice(0, 2))
      expect([key, stored.get(key)]).toEqual([key, samples]);
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    return stored;
  }

  beforeAll(async () => {
    sim = await startSecureSim({ sites: 1, nodes: 3, seed: 3, clock: { start: '2026-03-28T22:00:00Z' } });
    site = sim.sites[0]!;
    bed = await createBed('gwsecure');
    await bed.addSite(site.toLowerCase());
    await bed.addGateway({
      name: 'sec',
      site: site.toLowerCase(),
      vendor: 'secure',
      url: sim.url,
      interval: 300,
    });
    await bed.writeSecret('sec', sim.credentials[site]);
    poller = await createGatewayPoller(parseGatewayPollerConfig(bed.env()), {
      logger: silentLogger(),
      exit: () => undefined,
    });
    gw = (await listGateways(bed.db))[0]!;
  });

  afterAll(async () => {
    await poller?.lifecycle.stop();
    await bed?.close();
    await sim?.close();
  });

  it('follows LUTs through the spring change, logging in again when the session expires mid-run', async () => {
    await pollEvery(10, '2026-03-29T00:30:00Z');
    const loginsBefore = sim.record
      .requests(site)
      .filter((r) => r.kind === 'login')
      .reduce((n, r) => n + r.count, 0);
    sim.faults.expireSessions(site);
    await pollEvery(10, '2026-03-29T03:00:00Z');
    const requests = sim.record.requests(site);
    expect(requests.filter((r) => r.outcome === 'expired').reduce((n, r) => n + r.count, 0)).toBeGreaterThan(
      0,
    );
    expect(requests.filter((r) => r.kind === 'login').reduce((n, r) => n + r.count, 0)).toBeGreaterThan(
      loginsBefore,
    );
    expect(requests.filter((r) => r.outcome === 'refused')).toEqual([]);
    const stored = await storedEqualsServed();
    // Readings on both sides of 01:00 UTC, none lost in the skipped hour.
    const times = [...stored.values()].flat().map((s) => s[0] as string);
    expect(times.some((t) => t < '2026-03-29T01:00:00Z' && t > '2026-03-29T00:00:00Z')).toBe(true);
    expect(times.some((t) => t > '2026-03-29T01:00:00Z' && t < '2026-03-29T02:00:00Z')).toBe(true);
  });

  it('follows LUTs through the repeated autumn hour (both passes stored as their own instants)', async () => {
    sim.clock.set('2026-10-24T23:00:00Z');
    await pollEvery(10, '2026-10-25T03:00:00Z');
    const stored = await storedEqualsServed();
    const times = [...stored.values()].flat().map((s) => s[0] as string);
    // 01:xx local happens at 00:xx UTC (BST) and again at 01:xx UTC (GMT): both are there.
    expect(times.some((t) => t >= '2026-10-25T00:05:00Z' && t < '2026-10-25T00:55:00Z')).toBe(true);
    expect(times.some((t) => t >= '2026-10-25T01:05:00Z' && t < '2026-10-25T01:55:00Z')).toBe(true);
  });

  it('writes a set point through NATS to the owning replica, the gateway takes it, and the next poll shows it as an override', async () => {
    await poller.lifecycle.start();
    const device = sim.gateway(site).zones[0]!.devices.find((d) => d.dtid === 2)!;
    const zid = sim.gateway(site).zones[0]!.zid;
    const nc = await connect({ servers: infraUrls().natsUrl });
    try {
      const subject = natsNames(bed.prefix).subjects.gatewayControl('sec');
      const ask = async (value: number) =>
        SetpointWriteAnswerV1.parse(
          (
            await waitFor(
              () =>
                nc
                  .request(
                    subject,
                    JSON.stringify({
                      v: 1,
                      gateway: 'sec',
                      point: {
                        node: String(zid),
                        device: String(device.dRefId),
                        parameter: 'target_temperature',
                      },
                      value,
                      requestedBy: 'test',
                    }),
                    { timeout: 5_000 },
                  )
                  .catch(() => undefined),
              { what: 'the owning replica answers' },
            )
          ).json(),
        );
      expect(await ask(22.5)).toEqual({ v: 1, outcome: 'accepted' });
      const refused = await ask(99);
      expect(refused.outcome).toBe('refused');
      expect(refused.detail).toMatch(/HTTP 400/);
      expect(sim.record.writes().map((w) => [w.cv, w.outcome])).toEqual([
        ['22.5', 'accepted'],
        ['99', 'refused'],
      ]);
    } finally {
      await nc.close();
    }
    sim.clock.advance(60_000);
    await poller.scheduler.pollOnce(gw);
    const samples = await waitFor(
      async () => {
        const s = await bed.stored(
          site.toLowerCase(),
          String(zid),
          String(device.dRefId),
          'target_temperature',
        );
        return s.at(-1)?.[1] === 22.5 ? s : undefined;
      },
      { what: 'the written set point stored' },
    );
    expect(samples.at(-1)![1]).toBe(22.5);
    const event = await bed.db
      // Written by measurement-store from the events in the poller's readings batches.
      .withTables<Pick<Database, 'setpoint_events'>>()
      .selectFrom('setpoint_events')
      .selectAll()
      .where('node', '=', String(zid))
      .where('device', '=', String(device.dRefId))
      .orderBy('ts', 'desc')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ to_value: 22.5, origin: 'override' });
  });

  it('takes a set-point write on query-api (scope control), lists it with its outcome, refuses Prefect-less and read-only points clearly', async () => {
    const device = sim.gateway(site).zones[0]!.devices.find((d) => d.dtid === 2)!;
    const zid = sim.gateway(site).zones[0]!.zid;
    const db = createDb<Database>({ url: bed.testDb.url, max: 2 });
    const pool = new pg.Pool({ connectionString: bed.testDb.url, max: 1 });
    const nc = await connect({ servers: infraUrls().natsUrl });
    try {
      const app = await createHttpServer({ logger: silentLogger(), name: 'query-api' });
      await app.register(
        queryApi({ db, keysDb: db, copyPool: pool, control: natsSetpointControl(nc, bed.prefix) }),
      );
      const key = async (name: string, scopes: string[]) => {
        const k = generateApiKey();
        await insertApiKey(db, { name, prefix: k.prefix, hash: k.hash, scopes, siteId: null });
        return { authorization: `Bearer ${k.secret}` };
      };
      const operator = await key('operator', ['control', 'read']);
      const reader = await key('reader', ['read']);
      const point = await db
        .selectFrom('points')
        .select('id')
        .where('node', '=', String(zid))
        .where('device', '=', String(device.dRefId))
        .where('parameter', '=', 'target_temperature')
        .executeTakeFirstOrThrow();
      const measured = await db
        .selectFrom('points')
        .select('id')
        .where('node', '=', String(zid))
        .where('parameter', '=', 'measured_temperature')
        .executeTakeFirstOrThrow();

      const denied = await app.inject({
        method: 'POST',
        url: `/api/v1/points/${point.id}/setpoint`,
        headers: reader,
        payload: { value: 20 },
      });
      expect(denied.statusCode).toBe(403);
      const readOnly = await app.inject({
        method: 'POST',
        url: `/api/v1/points/${measured.id}/setpoint`,
        headers: operator,
        payload: { value: 20 },
      });
      expect(readOnly.statusCode).toBe(400);
      expect(readOnly.json().message ?? JSON.stringify(readOnly.json())).toMatch(/measured_temperature/);

      const accepted = await app.inject({
        method: 'POST',
        url: `/api/v1/points/${point.id}/setpoint`,
        headers: operator,
        payload: { value: 19.5 },
      });
      expect(accepted.statusCode).toBe(200);
      expect(accepted.json()).toMatchObject({ outcome: 'accepted', requestedBy: 'operator', value: 19.5 });
      const refused = await app.inject({
        method: 'POST',
        url: `/api/v1/points/${point.id}/setpoint`,
        headers: operator,
        payload: { value: 40 },
      });
      expect(refused.json()).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/HTTP 400/) });
      expect(sim.record.writes().at(-2)).toMatchObject({ cv: '19.5', outcome: 'accepted' });

      const list = await app.inject({
        method: 'GET',
        url: `/api/v1/points/${point.id}/setpoint-writes`,
        headers: reader,
      });
      expect(list.json().map((w: { value: number; outcome: string }) => [w.value, w.outcome])).toEqual([
        [40, 'refused'],
        [19.5, 'accepted'],
      ]);
      sim.clock.advance(60_000);
      await poller.scheduler.pollOnce(gw);
      await waitFor(
        async () => {
          const events = await app.inject({
            method: 'GET',
            url: `/api/v1/points/${point.id}/setpoint-events`,
            headers: reader,
          });
          return events.json()[0]?.to === 19.5 && events.json()[0]?.origin === 'override';
        },
        { what: 'the write listed as an override event of the point' },
      );
      const perSite = await app.inject({
        method: 'GET',
        url: `/api/v1/sites/${site.toLowerCase()}/setpoint-events`,
        headers: reader,
      });
      expect(perSite.json().length).toBeGreaterThan(0);

      const gateways = await app.inject({ method: 'GET', url: '/api/v1/gateways', headers: reader });
      expect(gateways.json()).toEqual([
        expect.objectContaining({
          name: 'sec',
          vendor: 'secure',
          owner: expect.any(String),
          lastError: null,
          lastSuccessAt: expect.any(String),
        }),
      ]);
      await app.close();
    } finally {
      await nc.close();
      await pool.end();
      await db.destroy();
    }
  });
});
