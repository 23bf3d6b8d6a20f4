import { describe, expect, it } from '@jest/globals';
import type { PublisherState } from '@ep/amqp';
import { silentLogger } from '@ep/logger';
import type { Delivery } from '@ep/nats';
import { createBrokerGate, GateClosedError } from './broker-gate.js';

/** A publisher whose state the test sets, as the reconnecting @ep/amqp publisher would. */
function fakePublisher(initial: PublisherState) {
  let state = initial;
  const listeners = new Set<(s: PublisherState) => void>();
  return {
    get state() {
      return state;
    },
    onStateChange(listener: (s: PublisherState) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next: PublisherState) {
      state = next;
      for (const l of listeners) l(next);
    },
  };
}

const delivery = () => {
  let working = 0;
  return { d: { working: () => void (working += 1) } as unknown as Delivery, working: () => working };
};

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('broker gate', () => {
  it('lets events through at once while connected', async () => {
    const gate = createBrokerGate({
      publisher: fakePublisher('connected'),
      logger: silentLogger(),
      keepAliveMs: 10,
    });
    expect(gate.open).toBe(true);
    await expect(gate.wait(delivery().d)).resolves.toBeUndefined();
  });

  it('holds events while disconnected or blocked, keeps them alive, and releases them on reconnect', async () => {
    const publisher = fakePublisher('connected');
    const gate = createBrokerGate({ publisher, logger: silentLogger(), keepAliveMs: 5 });
    publisher.set('disconnected');
    const a = delivery();
    const waiting = gate.wait(a.d);
    expect(await settled(waiting)).toBe(false);
    publisher.set('blocked');
    expect(await settled(waiting)).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(a.working()).toBeGreaterThan(0);
    publisher.set('connected');
    await expect(waiting).resolves.toBeUndefined();
    const before = a.working();
    await new Promise((r) => setTimeout(r, 20));
    expect(a.working()).toBe(before);
  });

  it('rejects held events when closed, so the loop can stop without the broker', async () => {
    const gate = createBrokerGate({
      publisher: fakePublisher('disconnected'),
      logger: silentLogger(),
      keepAliveMs: 1000,
    });
    const waiting = gate.wait(delivery().d);
    gate.close();
    await expect(waiting).rejects.toBeInstanceOf(GateClosedError);
    await expect(gate.wait(delivery().d)).rejects.toBeInstanceOf(GateClosedError);
    expect(gate.open).toBe(false);
  });
});
