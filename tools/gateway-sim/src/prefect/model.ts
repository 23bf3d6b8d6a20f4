import { localWallMs } from '../london.js';
import { keyHash, pick, rand, randFrom, randInt, round } from '../random.js';

/**
 * The Prefect gateways' data as pure functions of (seed, site, node, time): a node reports once
 * per slot of `reportIntervalS` at a jittered instant (sometimes not at all: a radio drop-out,
 * which is what makes gaps over 500 s), and every field of a report is derived from its instant.
 * NodeStatus (the latest report), NodeHistory (a day of reports) and the record therefore always
 * agree.
 */

export interface PrefectModelOptions {
  seed: number;
  /** Seconds between a node's reports (default 300). */
  reportIntervalS: number;
  /** Probability that a report is lost (default 0.03): the next one comes after > 500 s. */
  dropoutRate: number;
  /** Probability per node per day of an operator override at the receiver (default 0.3). */
  overrideRate: number;
  /** Zone of the receivers' schedules (default Europe/London). */
  zone: string;
  /** Unix seconds before which no node reported (the gateways' installation). */
  installedAtS: number;
}

export type NodeKind = 'room' | 'water';

export interface PrefectNode {
  site: string;
  address: number;
  kind: NodeKind;
  roomName: string;
  programName: string;
  l1LoadWatts: number;
  l2LoadWatts: number;
  /** The schedule has no set point at night (`-100`). */
  nightOff: boolean;
  /** °C this room runs warmer (or colder) than the building's curve. */
  offset: number;
}

/** A report as a node sends it (the NodeStatus fields, History's being a subset). */
export interface PrefectReading {
  address: number;
  receivedAt: number;
  currentTemperature: number;
  setPoint: number;
  adjustedAtReceiver: boolean;
  temperatureAdjustment: number;
  l1On: boolean;
  l2On: boolean;
  presence: boolean;
  programName: string;
}

export const NO_SET_POINT = -100;

const ROOMS = [
  'Bedroom',
  'Study',
  'Kitchen',
  'Lounge',
  'Corridor',
  'Stairwell',
  'Common Room',
  'Bathroom',
  'Office',
];
const FLOORS = ['Ground', 'First', 'Second', 'Third'];

export function buildSiteNodes(seed: number, site: string, count: number): PrefectNode[] {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`nodes must be a whole number ≥ 1, got ${count}`);
  // Addresses are sparse like a real receiver's (1…250, more room when there are many nodes).
  const span = Math.max(250, count * 2);
  const taken = new Set<number>();
  for (let i = 0; taken.size < count; i++) taken.add(randInt(seed, 1, span, site, 'addr', i));
  const addresses = [...taken].sort((a, b) => a - b);
  return addresses.map((address, i) => {
    const block = String.fromCharCode(65 + (i % 6));
    const floor = pick(seed, FLOORS, site, address, 'floor');
    // About one node in eight is a hot-water cylinder.
    if (rand(seed, site, address, 'kind') < 0.125) {
      return {
        site,
        address,
        kind: 'water',
        roomName: `${block} ${floor} Water HWS${100 + address}`,
        programName: 'Automatic Water',
        l1LoadWatts: 0,
        l2LoadWatts: pick(seed, [2000, 3000], site, address, 'l2'),
        nightOff: rand(seed, site, address, 'nightOff') < 0.5,
        offset: 0,
      };
    }
    const room = pick(seed, ROOMS, site, address, 'room');
    return {
      site,
      address,
      kind: 'room',
      roomName: `${block} ${floor} ${room} ${randInt(seed, 1, 20, site, address, 'no')}`,
      programName: 'Heating',
      l1LoadWatts: pick(seed, [500, 750, 1000, 1500, 2000], site, address, 'l1'),
      l2LoadWatts: pick(seed, [0, 0, 1000, 2000], site, address, 'l2'),
      nightOff: rand(seed, site, address, 'nightOff') < 0.25,
      offset: round((rand(seed, site, address, 'offset') - 0.5) * 3, 1),
    };
  });
}

// Numeric labels of the per-reading draws (hashing a number is cheaper than a word).
const DROP = 1;
const JITTER = 2;
const NOISE = 3;
const PIR = 4;
const OVERRIDE = 5;
const OVERRIDE_START = 6;
const OVERRIDE_LENGTH = 7;
const OVERRIDE_SET_POINT = 8;

const prefixes = new WeakMap<PrefectNode, number>();

/** The hash of (seed, site, address), computed once per node: every draw of a reading starts from it. */
function prefix(o: PrefectModelOptions, node: PrefectNode): number {
  let h = prefixes.get(node);
  if (h === undefined) prefixes.set(node, (h = keyHash(o.seed, node.site, node.address)));
  return h;
}

/** Local hour of day (fractional) and local day number in the schedule's zone. */
function localTime(tS: number, zone: string): { hour: number; day: number } {
  const wall = localWallMs(tS * 1000, zone) / 1000;
  return { hour: (wall % 86_400) / 3600, day: Math.floor(wall / 86_400) };
}

/** The schedule's set point at a local hour; `-100` = none. */
export function scheduledSetPoint(node: PrefectNode, hour: number): number {
  if (node.kind === 'water') {
    if ((hour >= 5 && hour < 7.5) || (hour >= 16 && hour < 19)) return 60;
    return node.nightOff && (hour >= 22 || hour < 5) ? NO_SET_POINT : 50;
  }
  if (hour >= 6.5 && hour < 9) return 21;
  if (hour >= 9 && hour < 16.5) return 18;
  if (hour >= 16.5 && hour < 22.5) return 21;
  return node.nightOff ? NO_SET_POINT : 16;
}

/** An operator override of the day, if any: [start hour, end hour, set point]. */
export function overrideOfDay(
  o: PrefectModelOptions,
  node: PrefectNode,
  day: number,
): [number, number, number] | null {
  if (node.kind === 'water') return null;
  const p = prefix(o, node);
  if (randFrom(p, OVERRIDE, day) >= o.overrideRate) return null;
  const start = 8 + randFrom(p, OVERRIDE_START, day) * 12;
  const end = start + 0.5 + randFrom(p, OVERRIDE_LENGTH, day) * 2.5;
  const setPoints = [19, 20, 22, 23, 24];
  return [
    start,
    end,
    setPoints[Math.floor(randFrom(p, OVERRIDE_SET_POINT, day) * setPoints.length)] as number,
  ];
}

/** Unix seconds of slot `slot`'s report, or null if the report was lost or predates installation. */
export function reportTime(o: PrefectModelOptions, node: PrefectNode, slot: number): number | null {
  if (randFrom(prefix(o, node), DROP, slot) < o.dropoutRate) return null;
  const t =
    slot * o.reportIntervalS + Math.floor(randFrom(prefix(o, node), JITTER, slot) * o.reportIntervalS * 0.2);
  return t < o.installedAtS ? null : t;
}

export function readingAt(
  o: PrefectModelOptions,
  node: PrefectNode,
  slot: number,
  tS: number,
): PrefectReading {
  const { hour, day } = localTime(tS, o.zone);
  const scheduled = scheduledSetPoint(node, hour);
  const ovr = overrideOfDay(o, node, day);
  const overridden = ovr !== null && hour >= ovr[0] && hour < ovr[1];
  const setPoint = overridden ? ovr[2] : scheduled;
  const noise = (randFrom(prefix(o, node), NOISE, slot) - 0.5) * 0.6;
  const daily = Math.sin((2 * Math.PI * (hour - 9)) / 24);
  let temperature: number;
  let l1On = false;
  let l2On = false;
  if (node.kind === 'water') {
    temperature = round(54 + 6 * daily + noise * 4, 1);
    l2On = setPoint !== NO_SET_POINT && temperature < setPoint;
  } else {
    const heating = setPoint === NO_SET_POINT ? -0.8 : 0.4 * (setPoint - 18);
    temperature = round(17.5 + node.offset + 2 * daily + heating + noise, 1);
    l1On = setPoint !== NO_SET_POINT && temperature < setPoint - 0.2;
    l2On = l1On && node.l2LoadWatts > 0 && temperature < setPoint - 1.5;
  }
  // Halls: likelier occupied at night and in the evening than during lectures.
  const occupancy = node.kind === 'water' ? 0 : hour < 8 || hour >= 22 ? 0.7 : hour >= 17 ? 0.6 : 0.25;
  return {
    address: node.address,
    receivedAt: tS,
    currentTemperature: temperature,
    setPoint,
    adjustedAtReceiver: overridden,
    temperatureAdjustment: overridden && scheduled !== NO_SET_POINT ? round(setPoint - scheduled, 1) : 0,
    l1On,
    l2On,
    presence: randFrom(prefix(o, node), PIR, slot) < occupancy,
    programName: node.programName,
  };
}

/** The node's latest report at or before `nowS`, or null if it never reported. */
export function latestReading(
  o: PrefectModelOptions,
  node: PrefectNode,
  nowS: number,
): PrefectReading | null {
  let slot = Math.floor(nowS / o.reportIntervalS);
  const oldest = Math.floor(o.installedAtS / o.reportIntervalS);
  for (; slot >= oldest; slot--) {
    const t = reportTime(o, node, slot);
    if (t !== null && t <= nowS) return readingAt(o, node, slot, t);
  }
  return null;
}

/** Reports with `fromS ≤ receivedAt < toS` and `receivedAt ≤ nowS`, in time order. */
export function readingsBetween(
  o: PrefectModelOptions,
  node: PrefectNode,
  fromS: number,
  toS: number,
  nowS: number,
): PrefectReading[] {
  const out: PrefectReading[] = [];
  const end = Math.min(toS, nowS + 1);
  for (let slot = Math.floor(fromS / o.reportIntervalS); slot * o.reportIntervalS < end; slot++) {
    const t = reportTime(o, node, slot);
    if (t !== null && t >= fromS && t < end) out.push(readingAt(o, node, slot, t));
  }
  return out;
}
