import type { TeststandEventInput } from '@ep/contracts';
import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import { kvKeys } from '@ep/nats';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Gauge, type Registry } from 'prom-client';
import { afterSeen, wentSilent, type StandLiveness } from '../domain/liveness.js';
import type { PublishEvent } from '../use-cases/ingest.js';

export interface Liveness extends Resource {
  /** A message of `stand` was received at `at` (cheap: written out on the next tick). */
  seen(stand: string, at: Date): void;
}

/**
 * Stand liveness shared by every replica in a NATS KV bucket (one entry per stand). Each tick,
 * a replica writes the stands it heard from and looks for online stands silent for longer than
 * `offlineAfterMs`. Entries change by compare-and-set on their revision, so of replicas racing on
 * one transition exactly one wins and publishes its `online` / `offline` event (event id: stand,
 * transition and revision, so a retried publish is stored once).
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

  async function publishTransition(state: StandLiveness, revision: number): Promise<void> {
    const kind = state.online ? 'online' : 'offline';
    const eventId = `liveness:${key(state.stand)}:${kind}:${revision}`;
    const event: TeststandEventInput = {
      v: 1,
      eventId,
      stand: state.stand,
      module: '',
      kind,
      direction: 'platform',
      topic: '',
      // The stand's last message: an offline event does not make it look more recent.
      receivedAt: state.lastSeen,
      raw: '',
      valid: true,
      errors: [],
    };
    await deps.publishEvent(event);
    logger.info({ stand: state.stand, lastSeen: state.lastSeen }, `stand ${kind}`);
  }

  /** Applies `change` to the stand's entry by compare-and-set, retrying on a lost race. */
  async function change(
    stand: string,
    decide: (current: StandLiveness | undefined) => { next: StandLiveness; transition: boolean } | undefined,
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv!.get(key(stand));
      const current = entry && entry.operation === 'PUT' ? entry.json<StandLiveness>() : undefined;
      const decision = decide(current);
      if (!decision) return;
      let revision: number;
      try {
        revision = entry
          ? await kv!.update(key(stand), JSON.stringify(decision.next), entry.revision)
          : await kv!.create(key(stand), JSON.stringify(decision.next));
      } catch {
        continue; // another replica wrote first: decide again on what it wrote
      }
      if (decision.transition) await publishTransition(decision.next, revision);
      return;
    }
  }

  async function tick(): Promise<void> {
    const batch = [...heard.entries()];
    heard.clear();
    for (const [stand, at] of batch) {
      await change(stand, (current) => {
        const d = afterSeen(current, stand, at);
        return d && { next: d.next, transition: d.cameOnline };
      });
    }
    const at = now();
    let count = 0;
    for (const k of await kvKeys(jsm!, deps.bucket)) {
      const entry = await kv!.get(k);
      if (!entry || entry.operation !== 'PUT') continue;
      const state = entry.json<StandLiveness>();
      if (wentSilent(state, at, deps.offlineAfterMs))
        await change(state.stand, (current) =>
          current && wentSilent(current, at, deps.offlineAfterMs)
            ? { next: { ...current, online: false }, transition: true }
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
    seen(stand, at) {
      const before = heard.get(stand);
      if (!before || before < at) heard.set(stand, at);
    },
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
