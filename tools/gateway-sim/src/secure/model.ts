import { formatLocal, localWallMs, parseLocal } from '../london.js';
import { keyHash, pick, rand, randFrom, randInt, round } from '../random.js';

/**
 * The Secure gateways' data as pure functions of (seed, gateway, device, parameter, time), plus
 * the writes received. Each parameter is a signal whose latest update at an instant is
 * computable directly (`latest`), which is all `gatewaydata` needs: it answers the current value
 * of every parameter updated after the client's LUT cursor.
 */

/** DPRefID codes of API.md and the EP parameter names they map to. */
export const DP_NAMES: Record<string, string> = {
  '101': 'battery',
  '112': 'wake_up_frequency',
  '115': 'motion_detected',
  '201': 'target_temperature',
  '202': 'measured_temperature',
  '211': 'home_temperature',
  '212': 'away_temperature',
  '217': 'call_for_heat',
  '301': 'binary_switch',
  '304': 'accumulated_energy',
  '305': 'instantaneous_power',
};

/** EP's parameter name of a code; codes API.md does not name are kept as `dp_<code>`. */
export function parameterName(code: string): string {
  return DP_NAMES[code] ?? `dp_${code}`;
}

/** A code the simulator sends that API.md does not name (a motion sensor's tamper flag). */
export const UNKNOWN_CODE = '119';

export const DTID_THERMOSTAT = 2;
export const DTID_RELAY = 4;
export const DTID_MOTION = 8;

export interface SecureDevice {
  dRefId: number;
  dtid: number;
  name: string;
  dpid: number;
  codes: string[];
  /** Relay: watts of the load it switches. */
  powerW: number;
}

export interface SecureZone {
  zid: number;
  name: string;
  /** °C this zone runs warmer or colder than the building's curve. */
  offset: number;
  devices: SecureDevice[];
}

export interface SecureGateway {
  site: string;
  gmacid: number;
  name: string;
  serial: string;
  zones: SecureZone[];
}

export interface SecureModelOptions {
  seed: number;
  zone: string;
  installedAtMs: number;
  /** Send the motion sensors' code 119, which API.md does not name. */
  unknownCodes: boolean;
}

/** The value a parameter showed since `atMs`, and why. */
export interface SignalValue {
  atMs: number;
  cv: string;
  /** `write` when it came from UpdateDeviceData. */
  origin: 'generated' | 'write';
}

const ZONE_NAMES = [
  'Lounge',
  'Kitchen',
  'Hall',
  'Bedroom 1',
  'Bedroom 2',
  'Bedroom 3',
  'Study',
  'Dining Room',
  'Landing',
  'Bathroom',
];

export function buildGateway(o: SecureModelOptions, site: string, zoneCount: number): SecureGateway {
  // A 48-bit MAC in a made-up OUI; the API writes it as a decimal number (and hex in URLs).
  const gmacid = 0x2a4b_0000_0000 + randInt(o.seed, 0, 0xffff_ffff, site, 'mac');
  let nextRef = 17;
  const zones: SecureZone[] = [];
  for (let z = 1; z <= zoneCount; z++) {
    const devices: SecureDevice[] = [
      {
        dRefId: nextRef++,
        dtid: DTID_THERMOSTAT,
        name: 'Thermostat',
        dpid: 64,
        codes: ['101', '112', '201', '202', '211', '212', '217'],
        powerW: 0,
      },
      {
        dRefId: nextRef++,
        dtid: DTID_RELAY,
        name: 'Boiler Relay',
        dpid: 64,
        codes: ['301', '304', '305'],
        powerW: pick(o.seed, [1000, 1500, 2000, 3000], site, z, 'power'),
      },
    ];
    // Every other zone has a motion sensor.
    if (z % 2 === 1) {
      devices.push({
        dRefId: nextRef++,
        dtid: DTID_MOTION,
        name: 'Motion Sensor',
        dpid: 64,
        codes: o.unknownCodes ? ['101', '115', UNKNOWN_CODE] : ['101', '115'],
        powerW: 0,
      });
    }
    zones.push({
      zid: z,
      name:
        ZONE_NAMES[(z - 1) % ZONE_NAMES.length] +
        (z > ZONE_NAMES.length ? ` ${Math.ceil(z / ZONE_NAMES.length)}` : ''),
      offset: round((rand(o.seed, site, z, 'offset') - 0.5) * 3, 1),
      devices,
    });
  }
  return {
    site,
    gmacid,
    name: 'IodicusGateway',
    serial: `SRT${gmacid.toString(16).toUpperCase().slice(-8)}`,
    zones,
  };
}

/** Writes received, per gateway/device/code, in time order. */
export class WriteLog {
  private readonly byKey = new Map<string, { atMs: number; cv: string }[]>();

  private key(gmacid: number, dRefId: number, code: string): string {
    return `${gmacid}|${dRefId}|${code}`;
  }

  add(gmacid: number, dRefId: number, code: string, atMs: number, cv: string): void {
    const k = this.key(gmacid, dRefId, code);
    const list = this.byKey.get(k) ?? [];
    list.push({ atMs, cv });
    list.sort((a, b) => a.atMs - b.atMs);
    this.byKey.set(k, list);
  }

  /** The last write at or before `tMs`. */
  latest(gmacid: number, dRefId: number, code: string, tMs: number): { atMs: number; cv: string } | null {
    if (this.byKey.size === 0) return null; // the usual case, asked in every state evaluation
    const list = this.byKey.get(this.key(gmacid, dRefId, code));
    if (!list) return null;
    for (let i = list.length - 1; i >= 0; i--) {
      const w = list[i];
      if (w && w.atMs <= tMs) return w;
    }
    return null;
  }
}

const S = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Periods (s) and jitter (s) of the periodic reports. */
const MEASURE = { periodS: 600, jitterS: 120 };
const MOTION = { periodS: 300, jitterS: 30 };
const BATTERY = { periodS: 6 * 3600, jitterS: 600 };
const ENERGY = { periodS: 900, jitterS: 60 };

/** Thermostat schedule: local hour → target °C. Changes at 06:30, 09:00, 16:30 and 22:30. */
const SCHEDULE: [number, number][] = [
  [6.5, 21],
  [9, 18],
  [16.5, 21],
  [22.5, 16],
];

export const TARGET_MIN = 5;
export const TARGET_MAX = 30;

export class SecureModel {
  readonly writes = new WriteLog();

  constructor(readonly o: SecureModelOptions) {}

  private readonly hashes = new WeakMap<SecureDevice, Map<string, number>>();

  /** The hash of (seed, site, device, label), computed once: the prefix of that signal's draws. */
  private hashOf(g: SecureGateway, device: SecureDevice, label: string): number {
    let byLabel = this.hashes.get(device);
    if (!byLabel) this.hashes.set(device, (byLabel = new Map()));
    let h = byLabel.get(label);
    if (h === undefined) byLabel.set(label, (h = keyHash(this.o.seed, g.site, device.dRefId, label)));
    return h;
  }

  private reportTime(key: number, periodS: number, jitterS: number, slot: number): number {
    return (slot * periodS + Math.floor(randFrom(key, slot) * jitterS)) * S;
  }

  /** Latest periodic report slot at or before tMs (null before installation). */
  private latestSlot(
    key: number,
    p: { periodS: number; jitterS: number },
    tMs: number,
  ): [number, number] | null {
    for (let slot = Math.floor(tMs / S / p.periodS); slot >= Math.floor(tMs / S / p.periodS) - 2; slot--) {
      const at = this.reportTime(key, p.periodS, p.jitterS, slot);
      if (at <= tMs) return at >= this.o.installedAtMs ? [slot, at] : null;
    }
    return null;
  }

  private readonly dayChanges = new Map<number, [number, number][]>();

  /** Instants (UTC ms) of the schedule's changes on a local day (wall ms of its midnight), cached. */
  private changesOfDay(localMidnight: number): [number, number][] {
    let list = this.dayChanges.get(localMidnight);
    if (!list) {
      list = [];
      for (const [hour, target] of SCHEDULE) {
        const local = new Date(localMidnight + hour * HOUR).toISOString().slice(0, 19);
        // The schedule's times are never in a skipped or repeated hour, so one instant each.
        const at = parseLocal(local, this.o.zone)[0];
        if (at !== undefined) list.push([at, target]);
      }
      if (this.dayChanges.size > 10_000) this.dayChanges.clear();
      this.dayChanges.set(localMidnight, list);
    }
    return list;
  }

  /** The scheduled target and the instant it took effect, at tMs. */
  private scheduled(tMs: number): { atMs: number; target: number } {
    const dayStart = Math.floor(localWallMs(tMs, this.o.zone) / DAY) * DAY;
    let best: { atMs: number; target: number } | null = null;
    for (const d of [dayStart - DAY, dayStart]) {
      for (const [at, target] of this.changesOfDay(d)) {
        if (at <= tMs && (!best || at > best.atMs)) best = { atMs: at, target };
      }
    }
    if (!best) throw new Error('no schedule change in two days');
    return best;
  }

  /** The target in force at tMs: the schedule's, unless a later write overrides it. */
  target(g: SecureGateway, thermostat: SecureDevice, tMs: number): SignalValue {
    const s = this.scheduled(tMs);
    const at = Math.max(s.atMs, this.o.installedAtMs);
    const w = this.writes.latest(g.gmacid, thermostat.dRefId, '201', tMs);
    if (w && w.atMs >= s.atMs) return { atMs: w.atMs, cv: w.cv, origin: 'write' };
    return { atMs: at, cv: String(s.target), origin: 'generated' };
  }

  private temperature(
    g: SecureGateway,
    zone: SecureZone,
    thermostat: SecureDevice,
    slot: number,
    tMs: number,
  ): number {
    const hour = (localWallMs(tMs, this.o.zone) % DAY) / HOUR;
    const target = Number(this.target(g, thermostat, tMs).cv);
    const noise = (randFrom(this.hashOf(g, thermostat, 'noise'), slot) - 0.5) * 0.6;
    return round(
      17.5 + zone.offset + 2 * Math.sin((2 * Math.PI * (hour - 9)) / 24) + 0.4 * (target - 18) + noise,
      1,
    );
  }

  private callForHeat(g: SecureGateway, zone: SecureZone, thermostat: SecureDevice, slot: number): number {
    const key = this.hashOf(g, thermostat, '202');
    const at = this.reportTime(key, MEASURE.periodS, MEASURE.jitterS, slot);
    return this.temperature(g, zone, thermostat, slot, at) < Number(this.target(g, thermostat, at).cv) - 0.2
      ? 1
      : 0;
  }

  private occupied(g: SecureGateway, device: SecureDevice, slot: number, atMs: number): number {
    const hour = (localWallMs(atMs, this.o.zone) % DAY) / HOUR;
    const p = hour < 7 || hour >= 23 ? 0.05 : hour >= 17 ? 0.6 : 0.3;
    return randFrom(this.hashOf(g, device, 'motion'), slot) < p ? 1 : 0;
  }

  /**
   * A state sampled at periodic reports, updated (new LUT) only when it changes: walks back to
   * the report where the current state began.
   */
  private onChange(
    key: number,
    p: { periodS: number; jitterS: number },
    tMs: number,
    state: (slot: number) => number,
  ): SignalValue | null {
    const last = this.latestSlot(key, p, tMs);
    if (!last) return null;
    const [slot0] = last;
    const value = state(slot0);
    // Devices re-report an unchanged state once a day: the first slot of each UTC day gets a
    // new LUT. That bounds the walk back to one day and keeps the answer independent of when
    // (or whether) anyone asked before.
    const dayFirst = Math.ceil((Math.floor((slot0 * p.periodS) / 86_400) * 86_400) / p.periodS);
    const oldest = Math.max(dayFirst, Math.ceil(this.o.installedAtMs / S / p.periodS));
    let since = slot0;
    for (let s = slot0 - 1; s >= oldest; s--) {
      if (this.reportTime(key, p.periodS, p.jitterS, s) < this.o.installedAtMs) break;
      if (state(s) !== value) break;
      since = s;
    }
    return {
      atMs: Math.max(this.reportTime(key, p.periodS, p.jitterS, since), this.o.installedAtMs),
      cv: String(value),
      origin: 'generated',
    };
  }

  /** Energy counter in kWh: the load's power times a smooth daily duty cycle, integrated since installation. */
  private energy(g: SecureGateway, relay: SecureDevice, tMs: number): number {
    const base = 100 + randInt(this.o.seed, 0, 5000, g.site, relay.dRefId, 'e0');
    const integral = (ms: number) => {
      const h = ms / HOUR;
      // duty(h) = 0.35 + 0.25·cos(2π(h−7)/24) ≥ 0.1: the counter only ever rises.
      return 0.35 * h + ((0.25 * 24) / (2 * Math.PI)) * Math.sin((2 * Math.PI * (h - 7)) / 24);
    };
    return round(base + (relay.powerW / 1000) * (integral(tMs) - integral(this.o.installedAtMs)), 3);
  }

  /** The current value of a parameter at tMs and when it was last updated; null before installation. */
  latest(
    g: SecureGateway,
    zone: SecureZone,
    device: SecureDevice,
    code: string,
    tMs: number,
  ): SignalValue | null {
    if (tMs < this.o.installedAtMs) return null;
    const key = this.hashOf(g, device, code);
    const installed: SignalValue = { atMs: this.o.installedAtMs, cv: '', origin: 'generated' };
    const thermostat = zone.devices.find((d) => d.dtid === DTID_THERMOSTAT);
    const withWrite = (v: SignalValue | null): SignalValue | null => {
      const w = this.writes.latest(g.gmacid, device.dRefId, code, tMs);
      return w && (!v || w.atMs >= v.atMs) ? { atMs: w.atMs, cv: w.cv, origin: 'write' } : v;
    };
    switch (code) {
      case '101': {
        const last = this.latestSlot(key, BATTERY, tMs);
        if (!last) return null;
        const days = (last[1] - this.o.installedAtMs) / DAY;
        return { atMs: last[1], cv: String(Math.max(5, 100 - Math.floor(days * 0.5))), origin: 'generated' };
      }
      case '112':
        return { ...installed, cv: '600' };
      case '201':
        return this.target(g, device, tMs);
      case '202': {
        const last = this.latestSlot(key, MEASURE, tMs);
        if (!last) return null;
        return {
          atMs: last[1],
          cv: this.temperature(g, zone, device, last[0], last[1]).toFixed(1),
          origin: 'generated',
        };
      }
      case '211':
        return withWrite({ ...installed, cv: '21' });
      case '212':
        return withWrite({ ...installed, cv: '16' });
      case '217':
        return this.onChange(key, MEASURE, tMs, (slot) => this.callForHeat(g, zone, device, slot));
      case '301':
      case '305': {
        if (!thermostat) return null;
        // The relay follows its zone's call for heat, reported with the thermostat's measurement.
        const tKey = this.hashOf(g, thermostat, '202');
        const v = this.onChange(tKey, MEASURE, tMs, (slot) => this.callForHeat(g, zone, thermostat, slot));
        if (!v) return null;
        if (code === '301') return withWrite(v);
        return { ...v, cv: v.cv === '1' ? String(device.powerW) : '0' };
      }
      case '304': {
        const last = this.latestSlot(key, ENERGY, tMs);
        if (!last) return null;
        return { atMs: last[1], cv: this.energy(g, device, last[1]).toFixed(3), origin: 'generated' };
      }
      case '115':
        return this.onChange(key, MOTION, tMs, (slot) =>
          this.occupied(g, device, slot, this.reportTime(key, MOTION.periodS, MOTION.jitterS, slot)),
        );
      case UNKNOWN_CODE:
        return { ...installed, cv: '0' };
      default:
        return null;
    }
  }

  lut(atMs: number): string {
    return formatLocal(atMs, this.o.zone);
  }
}

/** Why a write is refused, or null when the value is acceptable. */
export function checkWrite(code: string, cv: string): string | null {
  const name = parameterName(code);
  if (code === '201' || code === '211' || code === '212') {
    const v = Number(cv);
    if (
      cv.trim() === '' ||
      !Number.isFinite(v) ||
      v < TARGET_MIN ||
      v > TARGET_MAX ||
      Math.round(v * 2) !== v * 2
    ) {
      return `Invalid value "${cv}" for DPRefID ${code} (${name}): a temperature from ${TARGET_MIN} to ${TARGET_MAX} in steps of 0.5`;
    }
    return null;
  }
  if (code === '301')
    return cv === '0' || cv === '1'
      ? null
      : `Invalid value "${cv}" for DPRefID 301 (binary_switch): "0" or "1"`;
  return `DPRefID ${code} (${name}) is read-only`;
}
