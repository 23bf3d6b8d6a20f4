import type { Logger } from '@ep/logger';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';

/**
 * Gateway ownership through leases in NATS KV: a bucket whose entries expire after one lease
 * period unless renewed. A replica holds a gateway while it can `update` the key at the revision
 * it last wrote; a key nobody renews expires and the next `create` by any replica takes it. A
 * killed replica's gateways are therefore taken over within lease period + renew interval.
 */
export interface Leases {
  /** Gateways this replica holds now. */
  held(): ReadonlySet<string>;
  /**
   * Renews held leases and tries to take free ones among `wanted`, up to `maxHeld` (its fair
   * share) in all; returns the gateways gained and lost in this round.
   */
  renew(wanted: string[], maxHeld: number): Promise<{ gained: string[]; lost: string[] }>;
  /** Other live replicas (including this one), from their heartbeat keys. */
  replicas(): Promise<number>;
  /** Gives every lease up (a clean stop: the others take over at once, not after expiry). */
  releaseAll(): Promise<void>;
}

const LEASE = (gateway: string) => `gw.${gateway.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const REPLICA = (id: string) => `replica.${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

export async function openLeases(options: {
  nc: NatsConnection;
  bucket: string;
  leaseMs: number;
  replicaId: string;
  logger: Logger;
}): Promise<Leases> {
  const kv: KV = await new Kvm(options.nc).create(options.bucket, { ttl: options.leaseMs, history: 1 });
  const revisions = new Map<string, number>();
  const encoder = new TextEncoder();
  const me = encoder.encode(options.replicaId);
  const log = options.logger.child({ replica: options.replicaId });

  return {
    held: () => new Set(revisions.keys()),
    async renew(wanted, maxHeld) {
      const gained: string[] = [];
      const lost: string[] = [];
      await kv.put(REPLICA(options.replicaId), me);
      const wantedSet = new Set(wanted);
      for (const [gateway, revision] of [...revisions]) {
        if (!wantedSet.has(gateway)) {
          revisions.delete(gateway);
          await kv.delete(LEASE(gateway), { previousSeq: revision }).catch(() => undefined);
          lost.push(gateway);
          continue;
        }
        try {
          revisions.set(gateway, await kv.update(LEASE(gateway), me, revision));
        } catch (err) {
          revisions.delete(gateway);
          lost.push(gateway);
          log.warn({ gateway, err: (err as Error).message }, 'gateway lease lost');
        }
      }
      for (const gateway of wanted) {
        if (revisions.size >= maxHeld) break;
        if (revisions.has(gateway)) continue;
        try {
          revisions.set(gateway, await kv.create(LEASE(gateway), me));
          gained.push(gateway);
        } catch {
          // Held by another replica.
        }
      }
      if (gained.length > 0) log.info({ gained }, 'gateway leases taken');
      return { gained, lost };
    },
    async replicas() {
      let n = 0;
      for await (const _ of await kv.keys('replica.*')) n += 1;
      return Math.max(1, n);
    },
    async releaseAll() {
      for (const [gateway, revision] of revisions) {
        await kv.delete(LEASE(gateway), { previousSeq: revision }).catch(() => undefined);
      }
      revisions.clear();
      await kv.delete(REPLICA(options.replicaId)).catch(() => undefined);
    },
  };
}
