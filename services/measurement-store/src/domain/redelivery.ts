import type { TeststandEvent } from '@ep/contracts';

/** What the de-duplication needs of a delivery, stored or in hand. */
export interface DeliverySeen {
  eventId: string;
  key: string;
  /** ms since the epoch */
  receivedAt: number;
  redelivered: boolean;
}

const seen = (e: TeststandEvent): DeliverySeen | undefined =>
  e.delivery
    ? {
        eventId: e.eventId,
        key: e.delivery.key,
        receivedAt: Date.parse(e.receivedAt),
        redelivered: e.delivery.redelivered,
      }
    : undefined;

/**
 * Whether `a` and `b` are one MQTT message delivered twice: the same delivery key (session,
 * packet id, payload), and the later of the two came with DUP set (the broker re-sent it) at most
 * `windowMs` after the other. Which of them reaches the store first does not matter: a batch
 * whose publish was retried can land after the batch holding the copy. Two deliveries with the
 * same key and no DUP are two messages (packet ids are reused).
 */
export function sameMessage(a: DeliverySeen, b: DeliverySeen, windowMs: number): boolean {
  if (a.key !== b.key || a.eventId === b.eventId) return false;
  const [first, later] = a.receivedAt <= b.receivedAt ? [a, b] : [b, a];
  return later.redelivered && later.receivedAt - first.receivedAt <= windowMs;
}

/**
 * The events of a batch that repeat a message already stored (`stored`: the rows under the
 * batch's delivery keys around its receipt times) or an earlier event of the batch: those are
 * dropped, the first of each message kept. Events without a delivery (outbound, liveness) are
 * never repeats here; a repeated event id is ON CONFLICT's to handle.
 */
export function repeatedDeliveries(
  events: TeststandEvent[],
  stored: DeliverySeen[],
  windowMs: number,
): Set<TeststandEvent> {
  const repeats = new Set<TeststandEvent>();
  const byKey = new Map<string, DeliverySeen[]>();
  for (const s of stored) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  for (const event of events) {
    const d = seen(event);
    if (!d) continue;
    const known = byKey.get(d.key) ?? [];
    if (known.some((k) => sameMessage(k, d, windowMs))) {
      repeats.add(event);
      continue;
    }
    byKey.set(d.key, [...known, d]);
  }
  return repeats;
}
