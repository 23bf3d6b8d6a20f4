import type { TeststandEventInput } from '@ep/contracts';
import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { kvKeys } from '@ep/nats';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Gauge, type Registry } from 'prom-client';
import { afterSeen, wentSilent, type StandLiveness, type Transition } from '../domain/liveness.js';
import type { PublishEvent } from '../use-cases/ingest.js';

export interface Liveness extends Resource {
  /** A message of `stand` was received at `at` (cheap: written out on the next tick). */
  seen(stand: string, at: Date): void;
}

/**
 * Stand liveness shared by every replica in a NATS KV bucket (one entry per stand). Each tick,
 * a replica writes the stands it heard from and looks for online stands silent for longer than
 * `offlineAfterMs`. Entries change by compare-and-set on their revision, so of replicas racing on
 * one transition exactly one wins and publishes its `online` / `offline` event.
 *
 * Nothing lost: the transition is written into the entry with the change (`unannounced`) and
 * cleared after its event was published; an entry still holding one (its replica was killed in
 * between, or the publish failed) is published by the next check of any replica. The event id
 * (stand, kind, the revision the change replaced) is the same every time, so a transition
 * published twice is stored once.
 */
export function createLiveness(deps: {
  nc: NatsConnection;
  bucket: string;
  offlineAfterMs: number;
  tickMs: number;
  publishEvent: PublishEvent;
  logger: Logger;
  registry: Registry;
  now?: () => Date;
}): Liveness {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger.child({ component: 'liveness' });
  const heard = new Map<string, Date>();
  let kv: KV | undefined;
  let jsm: JetStreamManager | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let online = 0;
  new Gauge({
    name: 'ep_teststand_stands_online',
    help: 'Stands heard from within EP_TESTSTAND_OFFLINE_AFTER_MS (as of this replica’s last check).',
    registers: [deps.registry],
    collect() {
      this.set(online);
    },
  });
  const key = (stand: string) => Buffer.from(stand).toString('base64url');
  const note = (stand: string, at: Date) => {
    const before = heard.get(stand);
    if (!before || before < at) heard.set(stand, at);
  };
  const stateOf = (entry: KvEntry | null) =>
    entry && entry.operation === 'PUT' ? entry.json<StandLiveness>() : undefined;

  /** Publishes a transition's event (again, perhaps: its id makes that harmless). */
  async function announce(stand: string, t: Transition): Promise<void> {
    const event: TeststandEventInput = {
      v: 1,
      eventId: t.eventId,
      stand,
      module: '',
      kind: t.kind,
      direction: 'platform',
      topic: '',
      receivedAt: t.receivedAt,
      raw: '',
      valid: true,
      errors: [],
    };
    await deps.publishEvent(event);
    logger.info({ stand, lastSeen: t.receivedAt }, `stand ${t.kind}`);
  }

  /** Publishes a transition written into the stand's entry, then clears it there. */
  async function settle(stand: string, t: Transition): Promise<void> {
    await announce(stand, t);
    // Another replica may have written the entry meanwhile (carrying the transition along):
    // clear it on whatever revision holds it now.
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv!.get(key(stand));
      const state = stateOf(entry);
      if (!entry || state?.unannounced?.eventId !== t.eventId) return;
      const { unannounced: _, ...announced } = state;
      try {
        await kv!.update(key(stand), JSON.stringify(announced), entry.revision);
        return;
      } catch {
        // written again meanwhile: look again
      }
    }
  }

  /**
   * Applies `decide` to the stand's entry by compare-and-set, retrying on a lost race; false when
   * the entry kept changing under it (the caller tries again on its next tick).
   */
  async function change(
    stand: string,
    decide: (current: StandLiveness | undefined) => { next: StandLiveness; transition: boolean } | undefined,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv!.get(key(stand));
      const current = stateOf(entry);
      const decision = decide(current);
      if (!decision) return true;
      // A transition not yet published goes first, so a stand's events keep their order.
      if (decision.transition && current?.unannounced) await announce(stand, current.unannounced);
      const kind = decision.next.online ? 'online' : 'offline';
      const unannounced: Transition | undefined = decision.transition
        ? {
            // Only one write can replace a given revision: the id names one transition.
            eventId: `liveness:${key(stand)}:${kind}:${entry?.revision ?? 0}`,
            kind,
            receivedAt: decision.next.lastSeen,
          }
        : current?.unannounced;
      const next: StandLiveness = { ...decision.next, ...(unannounced ? { unannounced } : {}) };
      try {
        await (entry
          ? kv!.update(key(stand), JSON.stringify(next), entry.revision)
          : kv!.create(key(stand), JSON.stringify(next)));
      } catch {
        continue; // another replica wrote first: decide again on what it wrote
      }
      if (unannounced && decision.transition) await settle(stand, unannounced);
      return true;
    }
    logger.warn({ stand }, 'stand liveness not written: its entry kept changing; the next check retries');
    return false;
  }

  async function tick(): Promise<void> {
    const batch = [...heard.entries()];
    heard.clear();
    for (const [i, [stand, at]] of batch.entries()) {
      try {
        const written = await change(stand, (current) => {
          const d = afterSeen(current, stand, at);
          return d && { next: d.next, transition: d.cameOnline };
        });
        if (!written) note(stand, at);
      } catch (err) {
        for (const [s, a] of batch.slice(i)) note(s, a); // for the next tick
        throw err;
      }
    }
    const at = now();
    let count = 0;
    for (const k of await kvKeys(jsm!, deps.bucket)) {
      const state = stateOf(await kv!.get(k));
      if (!state) continue;
      if (state.unannounced) await settle(state.stand, state.unannounced);
      if (wentSilent(state, at, deps.offlineAfterMs))
        await change(state.stand, (current) =>
          current && wentSilent(current, at, deps.offlineAfterMs)
            ? { next: { stand: current.stand, lastSeen: current.lastSeen, online: false }, transition: true }
            : undefined,
        );
      else if (state.online) count += 1;
    }
    online = count;
  }

  const schedule = () => {
    timer = setTimeout(() => {
      ticking = tick()
        .catch((err: unknown) => logger.warn({ err }, 'liveness check failed; next tick retries'))
        .finally(() => {
          ticking = undefined;
          if (timer) schedule();
        });
    }, deps.tickMs);
  };

  return {
    name: 'liveness',
    seen: note,
    async start() {
      kv = await new Kvm(deps.nc).create(deps.bucket, { history: 1 });
      jsm = await jetstreamManager(deps.nc);
      schedule();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await ticking;
      // What was heard since the last tick, so a stopping replica does not forget it.
      if (kv) await tick().catch((err: unknown) => logger.warn({ err }, 'last liveness check failed'));
    },
  };
}
