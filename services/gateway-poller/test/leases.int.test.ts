import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { silentLogger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import { infraUrls, uniquePrefix } from '@ep/testkit';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { openLeases } from '../src/adapters/leases.js';

/** The lease bucket on the real server: replicas counted from their keys while they renew. */
describe('gateway leases: counting replicas', () => {
  let nc: NatsConnection;
  const bucket = `${uniquePrefix('gwleases').toUpperCase()}_LEASES`;
  const open = (replicaId: string) =>
    openLeases({ nc, bucket, leaseMs: 30_000, replicaId, logger: silentLogger() });

  beforeAll(async () => {
    nc = await connectNats({ url: infraUrls().natsUrl, name: 'test-gwleases', logger: silentLogger() });
  });
  afterAll(async () => {
    await (await new Kvm(nc).open(bucket)).destroy().catch(() => undefined);
    await nc.close();
  });

  it('counts live replicas, not stopped ones, and answers while the others renew', async () => {
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(open));
    for (const leases of [a!, b!, c!]) await leases.renew(['gw1', 'gw2'], 1);
    expect(await a!.replicas()).toBe(3);
    await c!.releaseAll();
    expect(await a!.replicas()).toBe(2);
    // Replica b renews without pause; nats.js KV.keys() could wait for ever under such writes.
    let renewing = true;
    const renewer = (async () => {
      while (renewing) await b!.renew(['gw1', 'gw2'], 1);
    })();
    try {
      for (let i = 0; i < 50; i++) expect(await a!.replicas()).toBe(2);
    } finally {
      renewing = false;
      await renewer;
    }
    expect([...a!.held(), ...b!.held()].sort()).toEqual(['gw1', 'gw2']);
  });
});
