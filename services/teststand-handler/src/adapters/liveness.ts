import type { TeststandEventInput } from '@ep/contracts';
import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { kvKeys } from '@ep/nats';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Gauge, type Registry } from 'prom-client';
import {
  afterSeen,
  leftUnannounced,
  wentSilent,
  type StandLiveness,
  type Transition,
} from '../domain/liveness.js';
import type { PublishEvent } from '../use-cases/ingest.js';

export interface Liveness extends Resource {
  /** A message of `stand` was received at `at` (cheap: written out on the next tick). */
  seen(stand: string, at: Date): void;
}

/** Stands handled at once in a check: each waits on KV round trips and its event's PubAck. */
const CONCURRENCY = 32;

type Decide = (
  current: StandLiveness | undefined,
) => { next: StandLiveness; transition: boolean } | undefined;

/**
 * Stand liveness shared by every replica in a NATS KV bucket (one entry per stand). Each tick,
 * a replica writes the stands it heard from and looks for online stands silent for longer than
 * `offlineAfterMs`. Entries change by compare-and-set on their revision, so of replicas racing on
 * one transition exactly one wins and publishes its `online` / `offline` event.
 *
 * Nothing lost: the transition is written into the entry with the change (`unannounced`) and
 * cleared after its event was published; one still there two ticks later (its replica was killed
 * in between, or the publish failed) is published by the next check of any replica. The event id
 * (stand, kind, the revision the change replaced, the bucket's creation) is the same every time,
 * so a transition published twice is stored once. A stand's next transition waits until the
 * previous one is published, so its events keep their order.
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
  // Time a replica has to publish the transition it wrote before another one does it instead.
  const graceMs = 2 * deps.tickMs;
  const heard = new Map<string, Date>();
  let kv: KV | undefined;
  let jsm: JetStreamManager | undefined;
  /** The bucket's creation (base 36 ms): a bucket made anew counts revisions from 1 again. */
  let epoch = '';
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
   * Applies `decide` to the stand's entry by compare-and-set, retrying on a lost race. `later`
   * when it could not now: the entry kept changing, or the previous transition is still being
   * published by the replica that made it (the caller tries again on its next tick).
   */
  async function change(stand: string, decide: Decide): Promise<'done' | 'later'> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv!.get(key(stand));
      const current = stateOf(entry);
      const decision = decide(current);
      if (!decision) return 'done';
      const previous = current?.unannounced;
      if (decision.transition && previous) {
        if (!leftUnannounced(previous, now(), graceMs)) return 'later';
        await announce(stand, previous); // left over: it goes first
      }
      const kind = decision.next.online ? 'online' : 'offline';
      const unannounced: Transition | undefined = decision.transition
        ? {
            // Only one write can replace a given revision: the id names one transition.
            eventId: `liveness:${key(stand)}:${kind}:${entry?.revision ?? 0}@${epoch}`,
            kind,
            receivedAt: decision.next.lastSeen,
            writtenAt: now().toISOString(),
          }
        : previous;
      const next: StandLiveness = { ...decision.next, ...(unannounced ? { unannounced } : {}) };
      try {
        await (entry
          ? kv!.update(key(stand), JSON.stringify(next), entry.revision)
          : kv!.create(key(stand), JSON.stringify(next)));
      } catch {
        continue; // another replica wrote first: decide again on what it wrote
      }
      if (unannounced && decision.transition) await settle(stand, unannounced);
      return 'done';
    }
    return 'later';
  }

  /** Runs `work` for every item, CONCURRENCY at a time; one failing does not stop the others. */
  async function each<T>(items: T[], work: (item: T) => Promise<void>): Promise<unknown[]> {
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++]!;
        await work(item).catch((err: unknown) => failures.push(err));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
    return failures;
  }

  async function tick(): Promise<void> {
    const batch = [...heard.entries()];
    heard.clear();
    const failed = await each(batch, async ([stand, at]) => {
      const seen: Decide = (current) => {
        const d = afterSeen(current, stand, at);
        return d && { next: d.next, transition: d.cameOnline };
      };
      const outcome = await change(stand, seen).catch((err: unknown) => {
        note(stand, at); // for the next tick
        throw err;
      });
      if (outcome === 'later') note(stand, at);
    });
    const at = now();
    let count = 0;
    failed.push(
      ...(await each(await kvKeys(jsm!, deps.bucket), async (k) => {
        const state = stateOf(await kv!.get(k));
        if (!state) return;
        if (state.unannounced && leftUnannounced(state.unannounced, at, graceMs))
          await settle(state.stand, state.unannounced);
        if (wentSilent(state, at, deps.offlineAfterMs))
          await change(state.stand, (current) =>
            current && wentSilent(current, at, deps.offlineAfterMs)
              ? {
                  next: { stand: current.stand, lastSeen: current.lastSeen, online: false },
                  transition: true,
                }
              : undefined,
          );
        else if (state.online) count += 1;
      })),
    );
    online = count;
    if (failed.length > 0)
      logger.warn(
        { err: failed[0], stands: failed.length },
        'liveness check failed for some stands; next tick retries',
      );
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
      epoch = Date.parse((await kv.status()).streamInfo.created).toString(36);
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
