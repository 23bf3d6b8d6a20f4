import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kvm, type KV } from '@nats-io/kv';
import { kvKeys } from '../src/index.js';
import { natsFixture, type NatsFixture } from './helpers.js';

describe('kvKeys: the keys of a bucket, while its writers write', () => {
  let f: NatsFixture;
  let kv: KV;
  let bucket: string;

  beforeAll(async () => {
    f = await natsFixture('kvkeys');
    bucket = `${f.prefix.toUpperCase()}_KV`;
    kv = await new Kvm(f.nc).create(bucket, { history: 1 });
  });
  afterAll(async () => {
    await kv?.destroy().catch(() => undefined);
    await f?.close();
  });

  it('an empty bucket has no keys', async () => {
    expect(await kvKeys(f.jsm, bucket)).toEqual([]);
  });

  it('lists keys by filter; a deleted key is listed until read', async () => {
    await kv.put('stand.a', '1');
    await kv.put('replica.x', '1');
    await kv.put('replica.y', '1');
    await kv.delete('replica.y');
    expect((await kvKeys(f.jsm, bucket)).sort()).toEqual(['replica.x', 'replica.y', 'stand.a']);
    expect((await kvKeys(f.jsm, bucket, 'replica.*')).sort()).toEqual(['replica.x', 'replica.y']);
    expect((await kv.get('replica.y'))?.operation).toBe('DEL');
    expect(await kvKeys(f.jsm, bucket, 'none.*')).toEqual([]);
  });

  it('answers every call while another client updates a key every few ms', async () => {
    // KV.keys() (nats.js) waited for ever on about one call in four under this load.
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await kv.put('stand.a', String(i));
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
    })();
    try {
      for (let i = 0; i < 100; i++)
        expect((await kvKeys(f.jsm, bucket, 'stand.*')).sort()).toEqual(['stand.a']);
    } finally {
      writing = false;
      await writer;
    }
  });
});
