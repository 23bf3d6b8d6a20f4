import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from '../clock.js';
import { CONTROL_PREFIX, handleControl } from '../control.js';
import { createFaults, type Faults } from '../faults.js';
import { listen, readBody, replyWithFaults, sendJson, type Answer } from '../http.js';
import { parseLocal, zoneOffsetMinutes } from '../london.js';
import { resolveCommon, type CommonSimOptions } from '../options.js';
import { rand } from '../random.js';
import { siteNames } from '../sites.js';
import {
  buildGateway,
  checkWrite,
  parameterName,
  SecureModel,
  type SecureDevice,
  type SecureGateway,
  type SecureZone,
} from './model.js';
import { SecureRecord } from './record.js';
import { contentMd5, md5Hex, parseDateHeader, sign, stringToSign } from './signing.js';

export interface SecureSimOptions extends CommonSimOptions {
  /** Simulated seconds a session lives before answering `ID 848` (default 3600). */
  sessionTtlS?: number;
  /**
   * Refuse a `DateHeader` further than this from the simulated clock (seconds). Off by default:
   * tests move the simulated clock far from the poller's wall clock.
   */
  maxClockSkewS?: number;
  /** Send code 119 (not named in API.md) from motion sensors (default true). */
  unknownCodes?: boolean;
  /** Per site `{ email, password }` (default: generated from the seed). */
  accounts?: Record<string, { email: string; password: string }>;
}

export interface SecureSim {
  /** Base URL (host) of the cloud API: `http://127.0.0.1:<port>`; paths as in API.md after it. */
  url: string;
  close(): Promise<void>;
  clock: SimClock;
  record: SecureRecord;
  faults: Faults;
  /** Per site, the secret file's JSON for EP: `{ email, password }` (the plain password; EP sends its MD5). */
  credentials: Record<string, { email: string; password: string }>;
  sites: string[];
  /** The simulated gateway of a site: GMACID, zones, devices. */
  gateway(site: string): SecureGateway;
  /** A parameter's current value and LUT at an instant (default now), whether served or not. */
  valueAt(
    site: string,
    dRefId: number,
    code: string,
    atMs?: number,
  ): { cv: string; lut: string; atMs: number } | null;
  /** Sessions issued and not yet expired. */
  activeSessions(site?: string): number;
}

interface Session {
  ak: string;
  site: string;
  expiresAtMs: number;
  expired: boolean;
}

const ERROR_500 = { ID: 500, M: 'Internal Server Error' };
const QUOTED = /^"(.*)"$/;

/** Starts a Secure (SRT / Z-Wave) cloud API simulator. */
export async function startSecureSim(options: SecureSimOptions = {}): Promise<SecureSim> {
  const c = resolveCommon(options);
  const clock = c.clock;
  const sites = Array.isArray(c.siteNames) ? [...c.siteNames] : siteNames(c.siteNames);
  const model = new SecureModel({
    seed: c.seed,
    zone: c.zone,
    installedAtMs: c.installedAtMs,
    unknownCodes: options.unknownCodes ?? true,
  });
  const gateways = new Map<string, SecureGateway>(sites.map((s) => [s, buildGateway(model.o, s, c.nodes)]));
  const credentials: Record<string, { email: string; password: string }> = {};
  for (const s of sites) {
    credentials[s] = options.accounts?.[s] ?? {
      email: `${s.toLowerCase()}@secure-sim.test`,
      password: `pw-${Math.floor(rand(c.seed, 'password', s) * 2 ** 40).toString(36)}`,
    };
  }
  const sessionTtlMs = (options.sessionTtlS ?? 3600) * 1000;
  const sessions = new Map<string, Session>();
  let sessionCounter = 0;
  const record = new SecureRecord(c.pollIntervalMs, c.recordSamples);
  const faults = createFaults(c.seed, c.faults);
  faults.onExpire((gateway) => {
    for (const s of sessions.values()) if (gateway === '*' || s.site === gateway) s.expired = true;
  });
  // Per gateway, the latest instant served under each local LUT string: resolves a cursor in
  // the repeated autumn hour to the instant the client was actually shown.
  const servedLocal = new Map<string, Map<string, number>>();

  const liveZones = (g: SecureGateway) => g.zones.filter((z) => !faults.isRemoved(g.site, z.zid));
  const bySiteEmail = (email: string) =>
    sites.find((s) => credentials[s]?.email.toLowerCase() === email.toLowerCase());

  function loginBody(g: SecureGateway, ak: string, akid: string) {
    return {
      SSD: { AK: ak, AKID: akid },
      GD: [
        {
          GMACID: g.gmacid,
          GN: g.name,
          ZNS: liveZones(g).map((z) => ({
            ZID: z.zid,
            ZN: z.name,
            DVS: z.devices.map((d) => ({ DRefID: d.dRefId, DTID: d.dtid, DN: d.name })),
          })),
        },
      ],
    };
  }

  /** Resolves a `lastupdatetime` to a UTC instant; null = everything. */
  function cursorInstant(g: SecureGateway, lut: string): number | null {
    if (lut === '') return null;
    const candidates = parseLocal(lut, c.zone);
    if (candidates.length === 0) {
      // A time in the skipped spring hour: take the earliest reading of it, so nothing is lost.
      const wall = Date.parse(`${lut}Z`);
      return wall - zoneOffsetMinutes(wall - 86_400_000, c.zone) * 60_000 - 3_600_000;
    }
    if (candidates.length === 1) return candidates[0] as number;
    const shown = servedLocal.get(g.site)?.get(lut);
    return shown !== undefined && candidates.includes(shown) ? shown : (candidates[0] as number);
  }

  function gatewayData(g: SecureGateway, lutParam: string): Answer {
    const unquoted = QUOTED.exec(lutParam)?.[1] ?? lutParam;
    let after: number | null;
    try {
      after = cursorInstant(g, unquoted);
    } catch {
      return {
        status: 400,
        outcome: 'http400',
        body: {
          ID: 400,
          M: `lastupdatetime must be "yyyy-MM-ddTHH:mm:ss" (Europe/London) or "", got ${lutParam}`,
        },
      };
    }
    const now = clock.now();
    type Shown = {
      zone: SecureZone;
      device: SecureDevice;
      code: string;
      atMs: number;
      fromWrite: boolean;
      dpdo: Record<string, unknown>;
    };
    const shown: Shown[] = [];
    const znds = [];
    let maxLut: { atMs: number; lut: string } | null = null;
    for (const zone of liveZones(g)) {
      const dddo = [];
      for (const device of zone.devices) {
        const dpdo = [];
        for (const code of device.codes) {
          const v = model.latest(g, zone, device, code, now);
          if (!v || (after !== null && v.atMs <= after)) continue;
          const lut = model.lut(v.atMs);
          const item = { DPRefID: code, CV: v.cv, LUT: lut };
          dpdo.push(item);
          shown.push({ zone, device, code, atMs: v.atMs, fromWrite: v.origin === 'write', dpdo: item });
          if (!maxLut || v.atMs > maxLut.atMs) maxLut = { atMs: v.atMs, lut };
        }
        if (dpdo.length > 0) dddo.push({ DRefID: device.dRefId, DPID: device.dpid, DPDO: dpdo });
      }
      if (dddo.length > 0) znds.push({ ZID: zone.zid, DDDO: dddo });
    }
    const body = {
      ALMS: [],
      GDDO: { LUT: maxLut?.lut ?? unquoted, GMACID: g.gmacid, GCS: '1', GN: g.name, ZNDS: znds },
    };
    return {
      status: 200,
      body,
      served: () => {
        let local = servedLocal.get(g.site);
        if (!local) servedLocal.set(g.site, (local = new Map()));
        for (const s of shown) {
          const lut = s.dpdo.LUT as string;
          // Only LUTs of a repeated hour are ambiguous; the others need no memory.
          if (model.lut(s.atMs - 3_600_000) === lut || model.lut(s.atMs + 3_600_000) === lut) {
            local.set(lut, Math.max(local.get(lut) ?? -Infinity, s.atMs));
          }
          if (typeof s.dpdo.CV !== 'string') continue;
          record.servedValue(
            g.site,
            s.zone.zid,
            s.device.dRefId,
            parameterName(s.code),
            s.atMs,
            s.dpdo.CV,
            s.fromWrite,
          );
        }
      },
    };
  }

  function updateDeviceData(g: SecureGateway, site: string, body: unknown): Answer {
    const bad = (m: string): Answer => ({ status: 400, outcome: 'http400', body: { ID: 400, M: m } });
    const data = (body as { DeviceData?: unknown } | null)?.DeviceData as
      { DRefID?: unknown; DPDO?: unknown } | undefined;
    if (!data || typeof data !== 'object') return bad('DeviceData is required');
    const dRefId = Number(data.DRefID);
    const zone = liveZones(g).find((z) => z.devices.some((d) => d.dRefId === dRefId));
    const device = zone?.devices.find((d) => d.dRefId === dRefId);
    if (!zone || !device)
      return {
        status: 404,
        outcome: 'http404',
        body: { ID: 404, M: `Device ${String(data.DRefID)} not found on gateway ${g.gmacid}` },
      };
    if (!Array.isArray(data.DPDO) || data.DPDO.length === 0)
      return bad('DeviceData.DPDO must be a non-empty array');
    const writes: { code: string; cv: string }[] = [];
    const now = Math.floor(clock.now() / 1000) * 1000;
    for (const item of data.DPDO as { DPRefID?: unknown; CV?: unknown }[]) {
      const code = String(item?.DPRefID ?? '');
      const cv = typeof item?.CV === 'number' ? String(item.CV) : item?.CV;
      if (typeof cv !== 'string') return bad(`DPDO[].CV must be a string (DPRefID ${code})`);
      const known = device.codes.includes(code);
      const reason = known ? checkWrite(code, cv) : `Device ${dRefId} has no DPRefID ${code}`;
      const w = {
        gateway: site,
        node: String(zone.zid),
        device: String(dRefId),
        parameter: parameterName(code),
        at: new Date(now).toISOString(),
        cv,
      };
      if (reason) {
        record.addWrite({ ...w, outcome: 'refused', reason });
        return { status: 400, outcome: 'refused', body: { ID: 400, M: reason } };
      }
      writes.push({ code, cv });
      record.addWrite({ ...w, outcome: 'accepted' });
    }
    for (const w of writes) model.writes.add(g.gmacid, dRefId, w.code, now, w.cv);
    return { status: 200, body: { ID: 0, M: 'Success' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith(CONTROL_PREFIX))
      return handleControl(req, res, { vendor: 'secure', sites, clock, record, faults });
    const path = url.pathname.toLowerCase();
    const method = req.method ?? 'GET';
    const routes: Record<string, [string, string]> = {
      '/user/login': ['POST', 'login'],
      '/user/gatewaylist': ['GET', 'GatewayList'],
      '/gateway/gatewaydata': ['GET', 'gatewaydata'],
      '/gateway/updatedevicedata': ['POST', 'UpdateDeviceData'],
    };
    const route = routes[path];
    if (!route) {
      sendJson(res, 404, { ID: 404, M: `No resource ${url.pathname}` });
      return;
    }
    const [expectedMethod, kind] = route;
    if (method !== expectedMethod) {
      sendJson(res, 405, { ID: 405, M: `${url.pathname} takes ${expectedMethod}` });
      return;
    }
    const raw = await readBody(req);

    if (kind === 'login') {
      const form = new URLSearchParams(raw.toString('utf8'));
      const email = form.get('UserEMailID') ?? '';
      const password = (form.get('Password') ?? '').toLowerCase();
      const site = bySiteEmail(email);
      const cred = site ? credentials[site] : undefined;
      if (!site || !cred || password !== md5Hex(cred.password)) {
        if (site) record.countRequest(site, 'login', 'refused');
        sendJson(res, 401, { ID: 401, M: 'Invalid e-mail address or password' });
        return;
      }
      const g = gateways.get(site) as SecureGateway;
      await replyWithFaults(
        res,
        {
          decision: faults.decide(site),
          errorBody: ERROR_500,
          dropField: () => false,
          count: (o) => record.countRequest(site, 'login', o),
        },
        () => {
          const ak = randomBytes(24).toString('base64');
          const akid = `AKID${(++sessionCounter).toString(16).toUpperCase().padStart(8, '0')}`;
          sessions.set(akid, { ak, site, expiresAtMs: clock.now() + sessionTtlMs, expired: false });
          return { status: 200, body: loginBody(g, ak, akid) };
        },
      );
      return;
    }

    // Signed requests.
    const refuse = (m: string, site?: string) => {
      if (site) record.countRequest(site, kind, 'refused');
      sendJson(res, 401, { ID: 401, M: m });
    };
    const date = header(req, 'dateheader');
    const auth = header(req, 'authorization');
    const m = /^SHS ([^:\s]+):(\S+)$/.exec(auth ?? '');
    if (!date || !m) return refuse('DateHeader and Authorization: SHS {AKID}:{signature} are required');
    const [, akid, given] = m as unknown as [string, string, string];
    const session = sessions.get(akid);
    if (!session) return refuse(`Unknown access key id ${akid}`);
    const site = session.site;
    if (session.expired || clock.now() >= session.expiresAtMs) {
      session.expired = true;
      record.countRequest(site, kind, 'expired');
      sendJson(res, 200, { ID: 848, M: 'Session expired' });
      return;
    }
    const dateMs = parseDateHeader(date);
    if (dateMs === null) return refuse(`DateHeader must be yyyyMMddTHHmmssfffZ, got "${date}"`, site);
    if (
      options.maxClockSkewS !== undefined &&
      Math.abs(dateMs - clock.now()) > options.maxClockSkewS * 1000
    ) {
      return refuse(
        `DateHeader ${date} is more than ${options.maxClockSkewS} s from the server's time`,
        site,
      );
    }
    let md5: string | undefined;
    if (method === 'POST') {
      md5 = header(req, 'content-md5');
      if (!md5) return refuse('Content-MD5 is required on POST', site);
      if (md5 !== contentMd5(raw)) {
        record.countRequest(site, kind, 'http400');
        sendJson(res, 400, { ID: 400, M: 'Content-MD5 does not match the body' });
        return;
      }
    }
    const expected = Buffer.from(sign(session.ak, stringToSign(method, date, akid, path, md5)));
    const got = Buffer.from(given);
    if (expected.length !== got.length || !timingSafeEqual(expected, got))
      return refuse('Invalid signature', site);

    const g = gateways.get(site) as SecureGateway;
    const faulted = (build: () => Answer, dropField: (b: unknown) => boolean = () => false) =>
      replyWithFaults(
        res,
        {
          decision: faults.decide(site, kind === 'gatewaydata'),
          errorBody: ERROR_500,
          dropField,
          count: (o) => record.countRequest(site, kind, o),
        },
        build,
      );

    if (kind === 'GatewayList') {
      await faulted(() => ({ status: 200, body: [{ GMACID: g.gmacid, GN: g.name, GSN: g.serial, RID: 2 }] }));
      return;
    }
    if (kind === 'gatewaydata') {
      const mac = url.searchParams.get('gatewayMACID') ?? '';
      if (!/^[0-9A-Fa-f]+$/.test(mac) || parseInt(mac, 16) !== g.gmacid) {
        record.countRequest(site, kind, 'http404');
        sendJson(res, 404, {
          ID: 404,
          M: `Gateway ${mac} not found for this account (gatewayMACID is the GMACID in hexadecimal)`,
        });
        return;
      }
      record.countPoll(site, clock.now());
      await faulted(() => gatewayData(g, url.searchParams.get('lastupdatetime') ?? ''), dropCv);
      return;
    }
    // UpdateDeviceData
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      record.countRequest(site, kind, 'http400');
      sendJson(res, 400, { ID: 400, M: 'The body is not JSON' });
      return;
    }
    const macField = (body as { GatewayMacId?: unknown } | null)?.GatewayMacId;
    const mac =
      typeof macField === 'string'
        ? /^\d+$/.test(macField)
          ? Number(macField)
          : parseInt(macField, 16)
        : macField;
    if (mac !== g.gmacid) {
      record.countRequest(site, kind, 'http404');
      sendJson(res, 404, { ID: 404, M: `Gateway ${String(macField)} not found for this account` });
      return;
    }
    await faulted(() => updateDeviceData(g, site, body));
  }

  const running = await listen(handle, c.host, c.port);
  return {
    url: running.origin,
    close: running.close,
    clock,
    record,
    faults,
    credentials,
    sites,
    gateway(site) {
      const g = gateways.get(site);
      if (!g) throw new Error(`no simulated Secure gateway "${site}"; sites are ${sites.join(', ')}`);
      return g;
    },
    valueAt(site, dRefId, code, atMs = clock.now()) {
      const g = gateways.get(site);
      const zone = g?.zones.find((z) => z.devices.some((d) => d.dRefId === dRefId));
      const device = zone?.devices.find((d) => d.dRefId === dRefId);
      if (!g || !zone || !device) return null;
      const v = model.latest(g, zone, device, code, atMs);
      return v ? { cv: v.cv, lut: model.lut(v.atMs), atMs: v.atMs } : null;
    },
    activeSessions(site) {
      const now = clock.now();
      return [...sessions.values()].filter(
        (s) => !s.expired && now < s.expiresAtMs && (site === undefined || s.site === site),
      ).length;
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Fault `missingField`: the first value loses its `CV`. */
function dropCv(body: unknown): boolean {
  const znds =
    (body as { GDDO?: { ZNDS?: { DDDO: { DPDO: Record<string, unknown>[] }[] }[] } }).GDDO?.ZNDS ?? [];
  const first = znds[0]?.DDDO[0]?.DPDO[0];
  if (!first) return false;
  delete first.CV;
  return true;
}
