import { describe, expect, it } from '@jest/globals';
import { batchMsgID, createBatcher } from './batcher.js';

describe('createBatcher', () => {
  const recorder = () => {
    const sent: number[][] = [];
    return { sent, send: async (items: number[]) => void sent.push(items) };
  };

  it('cuts a batch at maxItems and resolves each item once its batch is sent', async () => {
    const { sent, send } = recorder();
    const batcher = createBatcher<number>({ maxItems: 3, maxWaitMs: 10_000, send });
    const done = [1, 2, 3, 4].map((n) => batcher.add(n));
    await Promise.all(done.slice(0, 3));
    expect(sent).toEqual([[1, 2, 3]]);
    await batcher.flush();
    await done[3];
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  it('sends a lone item after maxWaitMs', async () => {
    const { sent, send } = recorder();
    const batcher = createBatcher<number>({ maxItems: 100, maxWaitMs: 5, send });
    const started = Date.now();
    await batcher.add(7);
    expect(sent).toEqual([[7]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4);
  });

  it('cuts by weight: an item that would pass maxWeight starts the next batch; a heavy one goes alone', async () => {
    const { sent, send } = recorder();
    const batcher = createBatcher<number>({
      maxItems: 100,
      maxWeight: 10,
      weigh: (n) => n,
      maxWaitMs: 10_000,
      send,
    });
    const done = [4, 4, 4, 12, 1].map((n) => batcher.add(n));
    await batcher.flush();
    await Promise.all(done);
    expect(sent).toEqual([[4, 4], [4], [12], [1]]);
  });

  it('rejects every item of a batch whose send failed, and only those', async () => {
    let calls = 0;
    const batcher = createBatcher<number>({
      maxItems: 2,
      maxWaitMs: 10_000,
      send: async () => {
        if (calls++ === 0) throw new Error('no stream');
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batcher.add(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
  });
});

describe('batchMsgID', () => {
  it('is the same for the same ids in the same order, and differs otherwise', () => {
    const id = batchMsgID('events', ['a', 'b']);
    expect(id).toMatch(/^events:[A-Za-z0-9_-]{22}:2$/);
    expect(batchMsgID('events', ['a', 'b'])).toBe(id);
    expect(batchMsgID('events', ['b', 'a'])).not.toBe(id);
    expect(batchMsgID('stored', ['a', 'b'])).not.toBe(id);
    // The separator keeps ["ab"] apart from ["a", "b"].
    expect(batchMsgID('events', ['ab'])).not.toBe(batchMsgID('events', ['a', 'b']).replace(':2', ':1'));
  });
});
