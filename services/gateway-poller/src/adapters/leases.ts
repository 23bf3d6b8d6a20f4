import { performance } from 'node:perf_hooks';
import type { Logger } from '@ep/logger';
import { kvKeys } from '@ep/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * Gateway ownership through leases in NATS KV: a bucket whose entries expire after one lease
 * period unless renewed. A replica holds a gateway while it can `update` the key at the revision
 * it last wrote (revision-checked, so only one writer can succeed); a key nobody renews expires
 * and the next `create` by any replica takes it. A killed replica's gateways are therefore taken
 * over within lease period + renew interval.
 *
 * A lease is this replica's, by its own clock, until one lease period after the moment its last
 * successful create/update was *sent*: the server stored that write later and expires it later
 * still, so the local deadline is never past the real one.
 */
export interface Leases {
  /** Gateways this replica holds now. */
  held(): ReadonlySet<string>;
  /**
   * Renews held leases and tries to take free ones among `wanted`, up to `maxHeld` (its fair
   * share) in all; returns the gateways gained and lost in this round.
   */
  renew(wanted: string[], maxHeld: number): Promise<{ gained: string[]; lost: string[] }>;
  /**
   * Renews one held lease now (revision-checked): true when it is still this replica's, and then
   * for a whole lease period from here. The decision to poll a gateway is made on this answer.
   */
  confirm(gateway: string): Promise<boolean>;
  /** ms left of a held lease by the local clock; 0 when not held (or lapsed). */
  remainingMs(gateway: string): number;
  /** Other live replicas (including this one), from their heartbeat keys. */
  replicas(): Promise<number>;
  /** Gives every lease up (a clean stop: the others take over at once, not after expiry). */
  releaseAll(): Promise<void>;
}

const LEASE = (gateway: string) => `gw.${gateway.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const REPLICA = (id: string) => `replica.${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

interface Held {
  revision: number;
  /** Monotonic ms (performance.now) when the write that gave `revision` was sent. */
  sentAt: number;
}

export async function openLeases(options: {
  nc: NatsConnection;
  bucket: string;
  leaseMs: number;
  replicaId: string;
  logger: Logger;
}): Promise<Leases> {
  const kv: KV = await new Kvm(options.nc).create(options.bucket, { ttl: options.leaseMs, history: 1 });
  const jsm = await jetstreamManager(options.nc);
  const leases = new Map<string, Held>();
  const encoder = new TextEncoder();
  const me = encoder.encode(options.replicaId);
  const log = options.logger.child({ replica: options.replicaId });
  // One KV operation per gateway at a time: a renewal round and a poll's confirm both update at
  // the revision they read, and the second of two interleaved updates would fail as if the lease
  // had been taken.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(gateway: string, op: () => Promise<T>): Promise<T> => {
    const run = (queues.get(gateway) ?? Promise.resolve()).then(op, op);
    const tail = run.catch(() => undefined);
    queues.set(gateway, tail);
    void tail.then(() => {
      if (queues.get(gateway) === tail) queues.delete(gateway);
    });
    return run;
  };

  /** Revision-checked renewal of a held lease; drops it when another replica's write is there. */
  const update = (gateway: string): Promise<boolean> =>
    serial(gateway, async () => {
      const current = leases.get(gateway);
      if (!current) return false;
      const sentAt = performance.now();
      try {
        leases.set(gateway, { revision: await kv.update(LEASE(gateway), me, current.revision), sentAt });
        return true;
      } catch (err) {
        leases.delete(gateway);
        log.warn({ gateway, err: (err as Error).message }, 'gateway lease lost');
        return false;
      }
    });

  return {
    held: () => new Set(leases.keys()),
    async renew(wanted, maxHeld) {
      const gained: string[] = [];
      const lost: string[] = [];
      await kv.put(REPLICA(options.replicaId), me);
      const wantedSet = new Set(wanted);
      for (const gateway of [...leases.keys()]) {
        if (!wantedSet.has(gateway)) {
          await serial(gateway, async () => {
            const current = leases.get(gateway);
            leases.delete(gateway);
            if (current)
              await kv.delete(LEASE(gateway), { previousSeq: current.revision }).catch(() => undefined);
          });
          lost.push(gateway);
        } else if (!(await update(gateway))) lost.push(gateway);
      }
      for (const gateway of wanted) {
        if (leases.size >= maxHeld) break;
        if (leases.has(gateway)) continue;
        await serial(gateway, async () => {
          const sentAt = performance.now();
          try {
            leases.set(gateway, { revision: await kv.create(LEASE(gateway), me), sentAt });
            gained.push(gateway);
          } catch {
            // Held by another replica.
          }
        });
      }
      if (gained.length > 0) log.info({ gained }, 'gateway leases taken');
      return { gained, lost };
    },
    confirm: (gateway) => update(gateway),
    remainingMs(gateway) {
      const current = leases.get(gateway);
      return current ? Math.max(0, current.sentAt + options.leaseMs - performance.now()) : 0;
    },
    async replicas() {
      // A stopped replica's key is deleted (its marker stays until it expires): count live ones.
      let n = 0;
      for (const key of await kvKeys(jsm, options.bucket, 'replica.*'))
        if ((await kv.get(key))?.operation === 'PUT') n += 1;
      return Math.max(1, n);
    },
    async releaseAll() {
      for (const gateway of [...leases.keys()]) {
        await serial(gateway, async () => {
          const current = leases.get(gateway);
          leases.delete(gateway);
          if (current)
            await kv.delete(LEASE(gateway), { previousSeq: current.revision }).catch(() => undefined);
        });
      }
      await kv.delete(REPLICA(options.replicaId)).catch(() => undefined);
    },
  };
}
