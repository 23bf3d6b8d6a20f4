import { rand } from './random.js';

/**
 * Ways a gateway's answer can go wrong, per gateway key (Prefect site, Secure site) or `*` for
 * all of them:
 * - `http500`: HTTP 500 with the vendor's error body;
 * - `timeout`: the request is accepted and never answered (the connection stays open until the
 *   client gives up or the simulator closes);
 * - `malformed`: HTTP 200 with the JSON cut in half;
 * - `missingField`: HTTP 200, valid JSON, one required field taken out of one item
 *   (Prefect: `CurrentTemperature` of a node / entry; Secure: `CV` of a value).
 */
export type FaultKind = 'http500' | 'timeout' | 'malformed' | 'missingField';

export const FAULT_KINDS: readonly FaultKind[] = ['http500', 'timeout', 'malformed', 'missingField'];

export interface FaultSettings {
  /** Real milliseconds added before every answer (not simulated time). */
  latencyMs?: number;
  /** Probability (0–1) of each fault per request; drawn deterministically from the seed. */
  failRate?: number;
  timeoutRate?: number;
  malformedRate?: number;
  missingFieldRate?: number;
}

export interface Faults {
  /** Merges settings for one gateway (or `*`, the default for every gateway). */
  set(gateway: string, settings: FaultSettings): void;
  /** The next `count` requests to that gateway (or any, with `*`) fail with `kind`, before any rate applies. */
  next(gateway: string, kind: FaultKind, count?: number): void;
  /**
   * The next poll of that gateway (Prefect `NodeStatus` of all nodes, Secure `gatewaydata`) is
   * held like a `timeout`, whatever other requests come first: a test can then kill a poller
   * mid-poll knowing its previous poll is over, and that the held answer was shown to nobody.
   */
  holdNextPoll(gateway: string): void;
  /** Takes a node (Prefect address, Secure zone id) out of every answer, as if it was unplugged. */
  removeNode(gateway: string, node: string | number): void;
  restoreNode(gateway: string, node: string | number): void;
  /** Secure: every session of that gateway's account (or of all, with `*`) now answers `ID 848`. */
  expireSessions(gateway?: string): void;
  /** Back to no faults at all (removed nodes restored). */
  clear(gateway?: string): void;
  /** Effective settings of a gateway (its own merged over `*`). */
  settingsFor(gateway: string): Required<FaultSettings>;
  isRemoved(gateway: string, node: string | number): boolean;
}

/** What a request gets; decided once per request. */
export interface FaultDecision {
  latencyMs: number;
  kind: FaultKind | null;
}

const ZERO: Required<FaultSettings> = {
  latencyMs: 0,
  failRate: 0,
  timeoutRate: 0,
  malformedRate: 0,
  missingFieldRate: 0,
};

export interface FaultsInternal extends Faults {
  /** Draws the fault of the next request to a gateway (consumes a held poll, then a queued fault, first). */
  decide(gateway: string, isPoll?: boolean): FaultDecision;
  /** Expiry requests not yet applied by the Secure simulator: gateway keys or `*`. */
  onExpire(listener: (gateway: string) => void): void;
}

export function createFaults(seed: number, initial: FaultSettings = {}): FaultsInternal {
  const settings = new Map<string, FaultSettings>([['*', { ...initial }]]);
  const queued = new Map<string, FaultKind[]>();
  const removed = new Map<string, Set<string>>();
  const heldPolls = new Set<string>();
  const counters = new Map<string, number>();
  const expireListeners: ((gateway: string) => void)[] = [];

  function check(s: FaultSettings): void {
    for (const [name, value] of Object.entries(s)) {
      if (value === undefined) continue;
      if (!(name in ZERO)) throw new Error(`unknown fault setting "${name}"`);
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new Error(`fault setting ${name} must be a number ≥ 0, got ${String(value)}`);
      }
      if (name.endsWith('Rate') && value > 1)
        throw new Error(`fault setting ${name} is a probability (0–1), got ${value}`);
    }
  }

  const faults: FaultsInternal = {
    set(gateway, s) {
      check(s);
      settings.set(gateway, { ...settings.get(gateway), ...s });
    },
    next(gateway, kind, count = 1) {
      if (!FAULT_KINDS.includes(kind))
        throw new Error(`unknown fault "${kind}"; one of ${FAULT_KINDS.join(', ')}`);
      const q = queued.get(gateway) ?? [];
      for (let i = 0; i < count; i++) q.push(kind);
      queued.set(gateway, q);
    },
    holdNextPoll(gateway) {
      heldPolls.add(gateway);
    },
    removeNode(gateway, node) {
      const set = removed.get(gateway) ?? new Set<string>();
      set.add(String(node));
      removed.set(gateway, set);
    },
    restoreNode(gateway, node) {
      removed.get(gateway)?.delete(String(node));
    },
    expireSessions(gateway = '*') {
      for (const l of expireListeners) l(gateway);
    },
    clear(gateway) {
      if (gateway === undefined) {
        settings.clear();
        settings.set('*', {});
        queued.clear();
        removed.clear();
        heldPolls.clear();
      } else {
        settings.delete(gateway);
        if (gateway === '*') settings.set('*', {});
        queued.delete(gateway);
        removed.delete(gateway);
        heldPolls.delete(gateway);
      }
    },
    settingsFor(gateway) {
      return { ...ZERO, ...settings.get('*'), ...settings.get(gateway) };
    },
    isRemoved(gateway, node) {
      const n = String(node);
      return (removed.get(gateway)?.has(n) ?? false) || (removed.get('*')?.has(n) ?? false);
    },
    decide(gateway, isPoll = false) {
      const s = faults.settingsFor(gateway);
      if (isPoll && heldPolls.delete(gateway)) return { latencyMs: 0, kind: 'timeout' };
      for (const key of [gateway, '*']) {
        const q = queued.get(key);
        if (q && q.length > 0) return { latencyMs: s.latencyMs, kind: q.shift() ?? null };
      }
      const n = (counters.get(gateway) ?? 0) + 1;
      counters.set(gateway, n);
      // One draw per request, split into bands, so the rates add up as stated.
      const r = rand(seed, 'fault', gateway, n);
      let edge = 0;
      const bands: [FaultKind, number][] = [
        ['http500', s.failRate],
        ['timeout', s.timeoutRate],
        ['malformed', s.malformedRate],
        ['missingField', s.missingFieldRate],
      ];
      for (const [kind, rate] of bands) {
        edge += rate;
        if (r < edge) return { latencyMs: s.latencyMs, kind };
      }
      return { latencyMs: s.latencyMs, kind: null };
    },
    onExpire(listener) {
      expireListeners.push(listener);
    },
  };
  check(initial);
  return faults;
}
