import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  contentMd5,
  dateHeader,
  md5Hex,
  parseLocal,
  sign,
  signedHeaders,
  startSecureSim,
  stringToSign,
  type SecureSim,
} from '../src/index.js';

// The simulator over real HTTP with a reference client written from API.md: login with the
// MD5 of the password, every later request signed.

const START = '2026-11-10T12:00:00Z';
let sim: SecureSim;

interface Session {
  akid: string;
  ak: string;
}

type Answer = { ID?: number; M?: string } & Record<string, unknown>;

interface GatewayData {
  GDDO: {
    LUT: string;
    GMACID: number;
    GCS: string;
    ZNDS: {
      ZID: number;
      DDDO: { DRefID: number; DPID: number; DPDO: { DPRefID: string; CV?: string; LUT: string }[] }[];
    }[];
  };
}

async function login(site: string, password = sim.credentials[site]!.password): Promise<Response> {
  return fetch(`${sim.url}/user/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      UserEMailID: sim.credentials[site]!.email,
      Password: md5Hex(password),
    }).toString(),
  });
}

async function session(site: string): Promise<Session> {
  const res = await login(site);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { SSD: { AK: string; AKID: string } };
  return { akid: body.SSD.AKID, ak: body.SSD.AK };
}

/** A signed request; the DateHeader is the wall clock, as a real client's would be. */
function signed(s: Session, method: 'GET' | 'POST', pathAndQuery: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = signedHeaders({
    method,
    path: pathAndQuery,
    akid: s.akid,
    ak: s.ak,
    nowMs: Date.now(),
    body: text,
  });
  return fetch(`${sim.url}${pathAndQuery}`, { method, headers, body: text });
}

function gatewayData(s: Session, site: string, lut: string): Promise<Response> {
  const mac = sim.gateway(site).gmacid.toString(16).toUpperCase();
  return signed(
    s,
    'GET',
    `/gateway/gatewaydata?gatewayMACID=${mac}&lastupdatetime=${encodeURIComponent(`"${lut}"`)}`,
  );
}

/** Polls like a client should: on `ID 848` it logs in again (the session object is refreshed) and retries once. */
async function poll(s: Session, site: string, lut: string): Promise<GatewayData> {
  let res = await gatewayData(s, site, lut);
  expect(res.status).toBe(200);
  let body = (await res.json()) as GatewayData & Answer;
  if (body.ID === 848) {
    Object.assign(s, await session(site));
    res = await gatewayData(s, site, lut);
    body = (await res.json()) as GatewayData & Answer;
  }
  expect(body.GDDO).toBeDefined();
  return body;
}

function values(d: GatewayData): { zid: number; dRefId: number; code: string; cv?: string; lut: string }[] {
  return d.GDDO.ZNDS.flatMap((z) =>
    z.DDDO.flatMap((dv) =>
      dv.DPDO.map((p) => ({ zid: z.ZID, dRefId: dv.DRefID, code: p.DPRefID, cv: p.CV, lut: p.LUT })),
    ),
  );
}

beforeAll(async () => {
  // Installed early in 2026 so the tests can visit both DST changes.
  sim = await startSecureSim({
    sites: 2,
    nodes: 3,
    seed: 5,
    clock: { start: START },
    installedAt: '2026-01-01T00:00:00Z',
    sessionTtlS: 1800,
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.faults.clear();
  sim.clock.set(START);
  sim.record.clear();
});

describe('Secure simulator: login and signatures', () => {
  it('logs in with the MD5 of the password and answers the account’s gateway, zones and devices', async () => {
    const site = sim.sites[0]!;
    const res = await login(site);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      SSD: Record<string, string>;
      GD: {
        GMACID: number;
        GN: string;
        ZNS: { ZID: number; ZN: string; DVS: { DRefID: number; DTID: number; DN: string }[] }[];
      }[];
    };
    expect(Object.keys(body.SSD).sort()).toEqual(['AK', 'AKID']);
    expect(body.GD).toHaveLength(1);
    expect(body.GD[0]!.GMACID).toBe(sim.gateway(site).gmacid);
    expect(body.GD[0]!.ZNS.map((z) => z.ZID)).toEqual([1, 2, 3]);
    expect(body.GD[0]!.ZNS[0]!.DVS.map((d) => d.DTID)).toEqual([2, 4, 8]);
    const wrong = await login(site, 'not-it');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as Answer).ID).toBe(401);
    // The plain password is not the MD5 of it.
    const plain = await fetch(`${sim.url}/user/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        UserEMailID: sim.credentials[site]!.email,
        Password: sim.credentials[site]!.password,
      }).toString(),
    });
    expect(plain.status).toBe(401);
  });

  it('accepts a signed request and refuses a bad signature, a wrong key or no signature', async () => {
    const site = sim.sites[0]!;
    const s = await session(site);
    const ok = await signed(s, 'GET', '/user/GatewayList');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([
      { GMACID: sim.gateway(site).gmacid, GN: 'IodicusGateway', GSN: sim.gateway(site).serial, RID: 2 },
    ]);

    const date = dateHeader(Date.now());
    const refusedWith = async (headers: Record<string, string>) => {
      const res = await fetch(`${sim.url}/user/GatewayList`, { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as Answer).ID).toBe(401);
    };
    await refusedWith({
      DateHeader: date,
      Authorization: `SHS ${s.akid}:${sign('wrong-key', stringToSign('GET', date, s.akid, '/user/gatewaylist'))}`,
    });
    // Signed over the path as written (not lower-cased): refused.
    await refusedWith({
      DateHeader: date,
      Authorization: `SHS ${s.akid}:${sign(s.ak, `GET\n${date}\n${s.akid}\n/user/GatewayList`)}`,
    });
    // Signed for another date than the one sent.
    await refusedWith({
      DateHeader: date,
      Authorization: `SHS ${s.akid}:${sign(s.ak, stringToSign('GET', dateHeader(Date.now() - 1000), s.akid, '/user/gatewaylist'))}`,
    });
    await refusedWith({ DateHeader: date });
    await refusedWith({
      DateHeader: date,
      Authorization: `SHS AKID999:${sign(s.ak, stringToSign('GET', date, 'AKID999', '/user/gatewaylist'))}`,
    });
    expect(sim.record.requests(site).find((r) => r.outcome === 'refused')?.count).toBe(3);
  });

  it('checks the Content-MD5 of a POST and signs it', async () => {
    const site = sim.sites[0]!;
    const s = await session(site);
    const body = JSON.stringify({
      GatewayMacId: sim.gateway(site).gmacid,
      DeviceData: { DRefID: 17, DPID: 64, DPDO: [{ DPRefID: '201', CV: '20' }] },
    });
    const date = dateHeader(Date.now());
    const md5 = contentMd5(body);
    const post = (headers: Record<string, string>, sent = body) =>
      fetch(`${sim.url}/Gateway/UpdateDeviceData`, { method: 'POST', headers, body: sent });
    const auth = (m: string | undefined) =>
      `SHS ${s.akid}:${sign(s.ak, stringToSign('POST', date, s.akid, '/gateway/updatedevicedata', m))}`;
    // Signed without the MD5 in the string: refused.
    expect(
      (
        await post({
          DateHeader: date,
          'Content-MD5': md5,
          Authorization: `SHS ${s.akid}:${sign(s.ak, stringToSign('GET', date, s.akid, '/gateway/updatedevicedata'))}`,
        })
      ).status,
    ).toBe(401);
    expect((await post({ DateHeader: date, Authorization: auth(undefined) })).status).toBe(401);
    const tampered = await post(
      { DateHeader: date, 'Content-MD5': md5, Authorization: auth(md5) },
      body.replace('"20"', '"29"'),
    );
    expect(tampered.status).toBe(400);
    const ok = await post({ DateHeader: date, 'Content-MD5': md5, Authorization: auth(md5) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ID: 0, M: 'Success' });
  });
});

describe('Secure simulator: sessions', () => {
  it('answers ID 848 once a session outlives its TTL, and a new login works', async () => {
    const site = sim.sites[1]!;
    const s = await session(site);
    expect((await signed(s, 'GET', '/user/GatewayList')).status).toBe(200);
    sim.clock.advance(1800_000);
    const expired = await signed(s, 'GET', '/user/GatewayList');
    expect(expired.status).toBe(200);
    expect(await expired.json()).toEqual({ ID: 848, M: 'Session expired' });
    const again = await session(site);
    expect((await signed(again, 'GET', '/user/GatewayList')).status).toBe(200);
    expect(sim.record.requests(site).find((r) => r.outcome === 'expired')?.count).toBe(1);
  });

  it('expires every session of one account on demand', async () => {
    const [a, b] = sim.sites as [string, string];
    const sa = await session(a);
    const sb = await session(b);
    sim.faults.expireSessions(a);
    expect(((await (await signed(sa, 'GET', '/user/GatewayList')).json()) as Answer).ID).toBe(848);
    expect((await signed(sb, 'GET', '/user/GatewayList')).status).toBe(200);
    expect(sim.activeSessions(a)).toBe(0);
  });
});

describe('Secure simulator: DateHeader check', () => {
  it('refuses a DateHeader too far from the simulated clock when asked to', async () => {
    const strict = await startSecureSim({
      sites: 1,
      nodes: 1,
      clock: { start: '2026-10-25T00:30:00Z' },
      maxClockSkewS: 300,
    });
    try {
      const site = strict.sites[0]!;
      const res = await fetch(`${strict.url}/user/login`, {
        method: 'POST',
        body: new URLSearchParams({
          UserEMailID: strict.credentials[site]!.email,
          Password: md5Hex(strict.credentials[site]!.password),
        }),
      });
      const { SSD } = (await res.json()) as { SSD: { AK: string; AKID: string } };
      const at = (nowMs: number) =>
        fetch(`${strict.url}/user/GatewayList`, {
          headers: signedHeaders({
            method: 'GET',
            path: '/user/GatewayList',
            akid: SSD.AKID,
            ak: SSD.AK,
            nowMs,
          }),
        });
      expect((await at(strict.clock.now() + 290_000)).status).toBe(200);
      const late = await at(strict.clock.now() + 310_000);
      expect(late.status).toBe(401);
      expect(((await late.json()) as Answer).M).toMatch(/more than 300 s/);
    } finally {
      await strict.close();
    }
  });
});

describe('Secure simulator: gatewaydata', () => {
  it('answers every current value for "", then only values updated after the cursor', async () => {
    const site = sim.sites[0]!;
    const s = await session(site);
    const first = await poll(s, site, '');
    const all = values(first);
    const g = sim.gateway(site);
    const codes = g.zones.flatMap((z) => z.devices.flatMap((d) => d.codes));
    expect(all).toHaveLength(codes.length);
    expect(first.GDDO.GMACID).toBe(g.gmacid);
    expect(first.GDDO.GCS).toBe('1');
    expect(all.some((v) => v.code === '119')).toBe(true);
    const lut = first.GDDO.LUT;
    expect(lut).toBe(
      all
        .map((v) => v.lut)
        .sort()
        .at(-1),
    );
    expect(await poll(s, site, lut)).toMatchObject({ GDDO: { ZNDS: [], LUT: lut } });
    sim.clock.advance(15 * 60_000);
    const later = values(await poll(s, site, lut));
    expect(later.length).toBeGreaterThan(0);
    expect(later.length).toBeLessThan(all.length);
    expect(later.every((v) => v.lut > lut)).toBe(true);
    // Measured temperatures are reported every 10 minutes: each thermostat has one.
    expect(later.filter((v) => v.code === '202')).toHaveLength(3);
    // The record holds what was served, at the LUT's instant.
    const temp = later.find((v) => v.code === '202')!;
    const samples = sim.record.samples(site, String(temp.zid), String(temp.dRefId), 'measured_temperature');
    expect(samples.at(-1)).toEqual([
      new Date(parseLocal(temp.lut, 'Europe/London')[0]!).toISOString(),
      Number(temp.cv),
      0,
    ]);
    expect(sim.record.samples(site, '1', String(g.zones[0]!.devices[2]!.dRefId), 'dp_119')).toHaveLength(1);
    expect(sim.record.polls(site).reduce((n, p) => n + p.count, 0)).toBe(3);
  });

  it('counts energy up and refuses an unknown gateway or a malformed cursor', async () => {
    const site = sim.sites[0]!;
    const s = await session(site);
    const energy = () => poll(s, site, '').then((d) => Number(values(d).find((v) => v.code === '304')!.cv));
    const e1 = await energy();
    sim.clock.advance(6 * 3_600_000);
    const e2 = await energy();
    expect(e2).toBeGreaterThan(e1);
    const wrongMac = await signed(
      s,
      'GET',
      `/gateway/gatewaydata?gatewayMACID=${sim.gateway(site).gmacid}&lastupdatetime=""`,
    );
    expect(wrongMac.status).toBe(404);
    expect((await gatewayData(s, site, '10/11/2026 12:00')).status).toBe(400);
  });

  it('writes LUTs in Europe/London time across the spring change', async () => {
    const site = sim.sites[1]!;
    sim.clock.set('2026-03-29T00:20:00Z');
    const s = await session(site);
    const first = await poll(s, site, '');
    let cursor = first.GDDO.LUT;
    const luts: string[] = values(first).map((v) => v.lut);
    for (let i = 0; i < 12; i++) {
      sim.clock.advance(10 * 60_000);
      const d = await poll(s, site, cursor);
      luts.push(...values(d).map((v) => v.lut));
      cursor = d.GDDO.LUT;
    }
    const measured = sim.record.series({ gateway: site, parameter: 'measured_temperature' })[0]!.samples;
    // No LUT in the skipped hour; every recorded instant is the LUT read as London time.
    expect(luts.some((l) => l.startsWith('2026-03-29T01:'))).toBe(false);
    expect(luts.some((l) => l.startsWith('2026-03-29T00:'))).toBe(true);
    expect(luts.some((l) => l.startsWith('2026-03-29T03:'))).toBe(true);
    for (const [ts] of measured) {
      const local = new Date(
        Date.parse(ts) + (Date.parse(ts) >= Date.parse('2026-03-29T01:00:00Z') ? 3_600_000 : 0),
      )
        .toISOString()
        .slice(0, 19);
      expect(luts).toContain(local);
    }
  });

  it('serves the repeated autumn hour as two distinct hours, and resolves a cursor in it to what was served', async () => {
    const site = sim.sites[1]!;
    sim.clock.set('2026-10-25T00:20:00Z');
    const s = await session(site);
    let cursor = (await poll(s, site, '')).GDDO.LUT;
    const served: { lut: string; code: string }[] = [];
    for (let i = 0; i < 10; i++) {
      sim.clock.advance(10 * 60_000);
      const d = await poll(s, site, cursor);
      served.push(...values(d));
      // The client's rule: the cursor is the largest LUT seen, whatever its hour.
      if (values(d).length > 0) cursor = d.GDDO.LUT;
    }
    const measured = sim.record.series({ gateway: site, parameter: 'measured_temperature' });
    const instants = measured.flatMap((m) => m.samples.map((x) => x[0]));
    // Readings at 00:xx and 01:xx UTC are both written 01:xx local.
    expect(instants.some((t) => t.startsWith('2026-10-25T00:'))).toBe(true);
    expect(instants.some((t) => t.startsWith('2026-10-25T01:'))).toBe(true);
    expect(served.filter((v) => v.lut.startsWith('2026-10-25T01:')).length).toBeGreaterThan(
      served.filter((v) => v.lut.startsWith('2026-10-25T00:')).length,
    );
    // Every measurement report in the window was served once: none lost to the ambiguous cursor.
    for (const m of measured) {
      const dRefId = Number(m.device);
      const expected: string[] = [];
      for (let t = Date.parse('2026-10-25T00:20:00Z'); t <= Date.parse('2026-10-25T02:00:00Z'); t += 60_000) {
        const v = sim.valueAt(site, dRefId, '202', t);
        if (v && !expected.includes(new Date(v.atMs).toISOString()))
          expected.push(new Date(v.atMs).toISOString());
      }
      expect(m.samples.map((x) => x[0])).toEqual(expected);
    }
  });
  it('reads a cursor of the second 01:xx as the instant it served, not the hour before', async () => {
    const site = sim.sites[0]!;
    sim.clock.set('2026-10-25T01:25:00Z');
    const s = await session(site);
    const first = await poll(s, site, '');
    const latest = Math.max(
      ...sim.record.series({ gateway: site }).flatMap((x) => x.samples.map((y) => Date.parse(y[0]))),
    );
    expect(new Date(latest).toISOString()).toMatch(/^2026-10-25T01:/);
    expect(first.GDDO.LUT).toBe(new Date(latest).toISOString().slice(0, 19));
    sim.clock.advance(1000);
    // Read as 00:xx UTC, this cursor would bring back the last hour's values again.
    expect(values(await poll(s, site, first.GDDO.LUT))).toEqual([]);
  });
});

describe('Secure simulator: writes', () => {
  it('accepts a set point, shows it in the next poll as an override, and refuses invalid values', async () => {
    const site = sim.sites[0]!;
    const g = sim.gateway(site);
    const thermostat = g.zones[1]!.devices[0]!;
    const s = await session(site);
    const cursor = (await poll(s, site, '')).GDDO.LUT;
    sim.clock.advance(1000);
    const write = (cv: string, code = '201') =>
      signed(s, 'POST', '/Gateway/UpdateDeviceData', {
        GatewayMacId: g.gmacid,
        DeviceData: {
          DRefID: thermostat.dRefId,
          DPID: 64,
          DPDO: [{ DPRefID: code, CV: cv, LTU: dateHeader(sim.clock.now()) }],
        },
      });
    for (const [cv, code] of [
      ['35', '201'],
      ['20.3', '201'],
      ['warm', '201'],
      ['1', '202'],
    ] as const) {
      const res = await write(cv, code);
      expect(res.status).toBe(400);
      expect(((await res.json()) as Answer).ID).toBe(400);
    }
    const before = sim.valueAt(site, thermostat.dRefId, '201')!.cv;
    const target = before === '22.5' ? '19.5' : '22.5';
    const ok = await write(target);
    expect(await ok.json()).toEqual({ ID: 0, M: 'Success' });
    const next = values(await poll(s, site, cursor)).filter(
      (v) => v.dRefId === thermostat.dRefId && v.code === '201',
    );
    expect(next).toEqual([
      { zid: 2, dRefId: thermostat.dRefId, code: '201', cv: target, lut: expect.any(String) },
    ]);
    const events = sim.record.events({ gateway: site, device: String(thermostat.dRefId) });
    expect(events.at(-1)).toMatchObject({ from: Number(before), to: Number(target), origin: 'override' });
    const writes = sim.record.writes();
    expect(writes.map((w) => w.outcome)).toEqual(['refused', 'refused', 'refused', 'refused', 'accepted']);
    expect(writes[4]).toMatchObject({
      gateway: site,
      node: '2',
      device: String(thermostat.dRefId),
      parameter: 'target_temperature',
      cv: target,
    });
    expect(writes[3]!.reason).toMatch(/read-only/);
  });
});

describe('Secure simulator: faults', () => {
  it('answers 500, cuts JSON, drops a CV and removes a zone, per gateway', async () => {
    const [site, other] = sim.sites as [string, string];
    const s = await session(site);
    const so = await session(other);
    sim.faults.next(site, 'http500');
    sim.faults.next(site, 'malformed');
    sim.faults.next(site, 'missingField');
    expect((await gatewayData(so, other, '')).status).toBe(200);
    const r500 = await gatewayData(s, site, '');
    expect(r500.status).toBe(500);
    expect(await r500.json()).toEqual({ ID: 500, M: 'Internal Server Error' });
    await expect((await gatewayData(s, site, '')).json()).rejects.toThrow();
    const missing = values(await poll(s, site, ''));
    expect(missing[0]!.cv).toBeUndefined();
    expect(sim.record.samples(site, String(missing[0]!.zid), String(missing[0]!.dRefId), 'battery')).toEqual(
      [],
    );
    expect(sim.record.series({ gateway: site }).length).toBe(missing.length - 1);
    sim.faults.removeNode(site, 2);
    expect(values(await poll(s, site, '')).some((v) => v.zid === 2)).toBe(false);
  });
});
