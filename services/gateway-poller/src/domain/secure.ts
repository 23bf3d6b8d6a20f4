import { createHash, createHmac } from 'node:crypto';
import { QUALITY, type Sample } from '@ep/contracts';
import { z } from 'zod';
import { lutToUtc } from './london-time.js';
import { ON_OFF, PointSet, type PointSpec, type SetpointChange } from './points.js';
import type { Rejected } from './prefect.js';

/** Secure (SRT / Z-Wave) cloud API: login, request signing and the mapping of gatewaydata. */

/** Error id of an answer whose session expired: log in again. */
export const SESSION_EXPIRED_ID = 848;

/** The password is sent as its MD5 hex digest. */
export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Content-MD5 of a body: base64 of its MD5 digest (RFC 1864). */
export function contentMd5(body: string): string {
  return createHash('md5').update(body, 'utf8').digest('base64');
}

/** `yyyyMMddTHHmmssfffZ`, UTC. */
export function dateHeader(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '');
}

export interface SessionKeys {
  /** SSD.AK: the secret. */
  ak: string;
  /** SSD.AKID: the key id. */
  akid: string;
}

/**
 * The string a request signs: method, DateHeader, AKID and the lower-cased path without its
 * query, one per line; a POST adds the body's Content-MD5 as a last line.
 */
export function stringToSign(method: string, date: string, akid: string, path: string, md5?: string): string {
  const bare = path.split('?')[0]!.toLowerCase();
  const lines = [method.toUpperCase(), date, akid, bare];
  if (md5 !== undefined) lines.push(md5);
  return lines.join('\n');
}

/** The headers of a signed request (`DateHeader`, `Authorization`, and `Content-MD5` with a body). */
export function signRequest(
  keys: SessionKeys,
  method: string,
  path: string,
  nowMs: number,
  body?: string,
): Record<string, string> {
  const date = dateHeader(nowMs);
  const md5 = body !== undefined ? contentMd5(body) : undefined;
  const signature = createHmac('sha1', keys.ak)
    .update(stringToSign(method, date, keys.akid, path, md5), 'utf8')
    .digest('base64');
  return {
    DateHeader: date,
    Authorization: `SHS ${keys.akid}:${signature}`,
    ...(md5 !== undefined ? { 'Content-MD5': md5 } : {}),
  };
}

/** DPRefID codes (API.md); an unknown code becomes `dp_<code>`. */
export const PARAMETERS: Record<
  string,
  { name: string; unit?: string; kind: PointSpec['kind']; states?: Record<string, string> }
> = {
  '101': { name: 'battery', unit: '%', kind: 'sampled' },
  '112': { name: 'wake_up_frequency', unit: 's', kind: 'sampled' },
  '115': { name: 'motion_detected', kind: 'state', states: { '0': 'no motion', '1': 'motion' } },
  '201': { name: 'target_temperature', unit: '°C', kind: 'sampled' },
  '202': { name: 'measured_temperature', unit: '°C', kind: 'sampled' },
  '211': { name: 'home_temperature', unit: '°C', kind: 'sampled' },
  '212': { name: 'away_temperature', unit: '°C', kind: 'sampled' },
  '217': { name: 'call_for_heat', kind: 'state', states: ON_OFF },
  '301': { name: 'binary_switch', kind: 'state', states: ON_OFF },
  '304': { name: 'accumulated_energy', unit: 'kWh', kind: 'counter' },
  '305': { name: 'instantaneous_power', unit: 'W', kind: 'sampled' },
};
export const TARGET_TEMPERATURE = '201';

export const DEVICE_TYPES: Record<number, string> = {
  2: 'SRT321 thermostat',
  4: 'relay / switch',
  8: 'motion sensor',
};

export function parameterOf(code: string): string {
  return PARAMETERS[code]?.name ?? `dp_${code}`;
}

/** The code of a parameter name (the inverse of parameterOf), for writes. */
export function codeOf(parameter: string): string | undefined {
  for (const [code, p] of Object.entries(PARAMETERS)) if (p.name === parameter) return code;
  const m = /^dp_(\w+)$/.exec(parameter);
  return m?.[1];
}

/** A CV string as a number: decimals, and the words Z-Wave values come as; undefined otherwise. */
export function parseCv(cv: unknown): number | undefined {
  if (typeof cv === 'number') return Number.isFinite(cv) ? cv : undefined;
  if (typeof cv !== 'string') return undefined;
  const text = cv.trim();
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  switch (text.toLowerCase()) {
    case 'true':
    case 'on':
      return 1;
    case 'false':
    case 'off':
      return 0;
    default:
      return undefined;
  }
}

const LoginSchema = z.object({
  SSD: z.object({ AK: z.string().min(1), AKID: z.string().min(1) }),
  GD: z
    .array(
      z.object({
        GMACID: z.number(),
        GN: z.string().optional(),
        ZNS: z
          .array(
            z.object({
              ZID: z.number(),
              ZN: z.string().optional(),
              DVS: z
                .array(z.object({ DRefID: z.number(), DTID: z.number(), DN: z.string().optional() }))
                .default([]),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
});

/** What the account's login said about one device. */
export interface SecureDeviceInfo {
  gmacid: number;
  zid: number;
  zoneName?: string;
  drefid: number;
  dtid: number;
  deviceName?: string;
}

export interface SecureLogin {
  keys: SessionKeys;
  devices: SecureDeviceInfo[];
}

export function parseLogin(body: unknown): SecureLogin | undefined {
  const parsed = LoginSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const devices: SecureDeviceInfo[] = [];
  for (const g of parsed.data.GD)
    for (const zone of g.ZNS)
      for (const d of zone.DVS)
        devices.push({
          gmacid: g.GMACID,
          zid: zone.ZID,
          ...(zone.ZN !== undefined ? { zoneName: zone.ZN } : {}),
          drefid: d.DRefID,
          dtid: d.DTID,
          ...(d.DN !== undefined ? { deviceName: d.DN } : {}),
        });
  return { keys: { ak: parsed.data.SSD.AK, akid: parsed.data.SSD.AKID }, devices };
}

/** An error answer (`{ "ID": 848, "M": "Session expired" }`), or undefined for a data answer. */
export function errorId(body: unknown): number | undefined {
  if (body && typeof body === 'object' && !Array.isArray(body) && 'ID' in body && !('GDDO' in body)) {
    const id = (body as { ID: unknown }).ID;
    // 0 / 200 are how a write's success is acknowledged, not errors.
    return typeof id === 'number' && id !== 0 && id !== 200 ? id : undefined;
  }
  return undefined;
}

export interface SecureGateway {
  gmacid: number;
  name?: string;
}

export function parseGatewayList(body: unknown): SecureGateway[] | undefined {
  const parsed = z.array(z.object({ GMACID: z.number(), GN: z.string().optional() })).safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.map((g) => ({ gmacid: g.GMACID, ...(g.GN !== undefined ? { name: g.GN } : {}) }));
}

/** `gatewayMACID` is the GMACID in upper-case hexadecimal. */
export function macHex(gmacid: number): string {
  return gmacid.toString(16).toUpperCase();
}

/** What is kept per Secure gateway between polls. */
export interface SecureCursor {
  /** The largest LUT seen, as the gateway wrote it (sent back as `lastupdatetime`). */
  lut: string;
  /** That LUT as a UTC instant, ms: resolves the repeated autumn hour. */
  ms: number;
  /** Last target temperature per device (`<zid>/<drefid>`), for set-point events. */
  setPoints: Record<string, number | null>;
}

export interface SecureMapped {
  points: PointSet;
  events: SetpointChange[];
  rejected: Rejected[];
  /** The cursor after this answer (unchanged when nothing new came). */
  cursor: SecureCursor | undefined;
  connected: boolean;
}

const Value = z.object({ DPRefID: z.union([z.string(), z.number()]), CV: z.unknown(), LUT: z.string() });

/**
 * Maps a gatewaydata answer to points: node = zone id, device = DRefID (its DTID in metadata),
 * parameter = the DPRefID's name. Values are taken in answer order; a malformed value, device or
 * zone is rejected alone. A value at or before the cursor was taken already and is skipped.
 */
export function mapGatewayData(
  body: unknown,
  devices: ReadonlyMap<string, SecureDeviceInfo>,
  cursor: SecureCursor | undefined,
  /** Target temperatures EP wrote, by `<zid>/<drefid>`: such a change is an override, not the schedule. */
  written: ReadonlyMap<string, number> = new Map(),
): SecureMapped {
  const points = new PointSet();
  const events: SetpointChange[] = [];
  const rejected: Rejected[] = [];
  const gddo = (body as { GDDO?: unknown } | null)?.GDDO as
    { LUT?: unknown; GCS?: unknown; ZNDS?: unknown } | undefined;
  if (!gddo || typeof gddo !== 'object') {
    return {
      points,
      events,
      rejected: [{ index: -1, reason: 'no GDDO in the answer' }],
      cursor,
      connected: false,
    };
  }
  const setPoints = { ...(cursor?.setPoints ?? {}) };
  // The reference for the repeated autumn hour is the cursor (the last LUT seen before this
  // answer), not the values read so far: an answer lists values by zone and device, not in time
  // order, so an earlier LUT further down is not a second pass.
  const lastMs = cursor?.ms;
  let maxLut = cursor?.lut;
  let maxMs = cursor?.ms;
  const zones = Array.isArray(gddo.ZNDS) ? gddo.ZNDS : [];
  if (!Array.isArray(gddo.ZNDS)) rejected.push({ index: -1, reason: 'ZNDS is not an array' });
  zones.forEach((zone: { ZID?: unknown; DDDO?: unknown }, zi: number) => {
    if (typeof zone?.ZID !== 'number' || !Array.isArray(zone.DDDO)) {
      rejected.push({ index: zi, reason: 'a zone without ZID or DDDO' });
      return;
    }
    const zid = zone.ZID;
    for (const device of zone.DDDO as { DRefID?: unknown; DPDO?: unknown }[]) {
      if (typeof device?.DRefID !== 'number' || !Array.isArray(device.DPDO)) {
        rejected.push({ index: zi, reason: `zone ${zid}: a device without DRefID or DPDO` });
        continue;
      }
      const drefid = device.DRefID;
      const key = `${zid}/${drefid}`;
      const info = devices.get(key);
      const meta: Record<string, unknown> = { zid, drefid };
      if (info) {
        meta['dtid'] = info.dtid;
        if (DEVICE_TYPES[info.dtid]) meta['deviceType'] = DEVICE_TYPES[info.dtid];
        if (info.deviceName !== undefined) meta['deviceName'] = info.deviceName;
        if (info.zoneName !== undefined) meta['zoneName'] = info.zoneName;
      }
      for (const raw of device.DPDO) {
        const parsed = Value.safeParse(raw);
        if (!parsed.success || !('CV' in (raw as object))) {
          rejected.push({ index: zi, reason: `device ${key}: a value without DPRefID, CV or LUT` });
          continue;
        }
        const code = String(parsed.data.DPRefID);
        const ms = lutToUtc(parsed.data.LUT, lastMs);
        if (ms === undefined) {
          rejected.push({
            index: zi,
            reason: `device ${key}: LUT "${parsed.data.LUT}" is not yyyy-MM-ddTHH:mm:ss`,
          });
          continue;
        }
        if (maxMs === undefined || ms > maxMs) {
          maxMs = ms;
          maxLut = parsed.data.LUT;
        }
        if (cursor && ms <= cursor.ms) continue;
        const p = PARAMETERS[code];
        const parameter = parameterOf(code);
        const node = String(zid);
        const deviceKey = String(drefid);
        const value = parseCv(parsed.data.CV);
        const sample: Sample = [
          new Date(ms).toISOString(),
          value ?? null,
          value === undefined ? QUALITY.noData : QUALITY.good,
        ];
        const name = `${node}.${deviceKey}.${parameter}`;
        points.add(
          {
            node,
            device: deviceKey,
            parameter,
            name,
            ...(p?.unit ? { unit: p.unit } : {}),
            ...(p?.kind ? { kind: p.kind } : {}),
            ...(p?.states ? { states: p.states } : {}),
            meta: { ...meta, code },
          },
          sample,
        );
        if (code === TARGET_TEMPERATURE) {
          const to = value ?? null;
          if (key in setPoints && setPoints[key] !== to) {
            events.push({
              node,
              device: deviceKey,
              parameter,
              name,
              ts: ms,
              from: setPoints[key] ?? null,
              to,
              // Secure reports no origin; a change EP did not ask for came from the schedule.
              origin: to !== null && written.get(key) === to ? 'override' : 'schedule',
            });
          }
          setPoints[key] = to;
        }
      }
    }
  });
  const next = maxLut !== undefined && maxMs !== undefined ? { lut: maxLut, ms: maxMs, setPoints } : cursor;
  return { points, events, rejected, cursor: next, connected: gddo.GCS === '1' || gddo.GCS === 1 };
}
