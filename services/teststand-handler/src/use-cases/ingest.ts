import type { TeststandEventInput } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import type { IPublishPacket, MessageHandler } from '@ep/mqtt';
import { deliveryKey, eventIdFor } from '../domain/identity.js';
import { toTeststandEvent } from '../domain/protocol.js';

/**
 * Publishes an event to JetStream; resolves once the stream stored it. Events travel many to a
 * NATS message (teststand.events), so this resolves when the event's batch was stored.
 */
export type PublishEvent = (event: TeststandEventInput) => Promise<void>;

export interface IngestMetrics {
  /** One message handled: `outcome` published / ignored; `seconds` from receipt to JetStream's ack. */
  message(kind: string, outcome: 'published' | 'ignored', seconds: number): void;
}

export interface IngestDeps {
  /** The MQTT session's client id: packet ids are per session. */
  clientId: string;
  maxMessageBytes: number;
  publishEvent: PublishEvent;
  metrics: IngestMetrics;
  logger: Logger;
  /** Told of every message a stand sent (valid or not): the stand is alive. */
  onSeen?: (stand: string, at: Date) => void;
  now?: () => Date;
}

/**
 * The handler of every inbound MQTT message: one `teststand` event on JetStream, valid or
 * rejected; resolving lets the MQTT client PUBACK it, so the broker keeps it until JetStream has it.
 *
 * De-duplication: a message the broker sends again after a crash (DUP set) was perhaps stored
 * already, under an event id with an earlier time of receipt. The event carries its delivery key
 * (session, packet id, payload hash) and the DUP flag, and measurement-store drops a redelivered
 * event whose key it stored before (see its teststand consumer).
 */
export function createIngest(deps: IngestDeps): MessageHandler {
  const { metrics, logger } = deps;
  const now = deps.now ?? (() => new Date());
  return async (topic: string, payload: Buffer, packet: IPublishPacket) => {
    const receivedAt = now();
    const key = deliveryKey(deps.clientId, packet.messageId, topic, payload);
    const event = toTeststandEvent(
      {
        topic,
        payload,
        receivedAt,
        eventId: eventIdFor(key, receivedAt),
        delivery: { key, redelivered: packet.dup === true },
      },
      deps.maxMessageBytes,
    );
    if (!event) {
      // Only a subscription wider than the stands' topics gets here; nothing to keep.
      logger.warn({ topic }, 'message on a topic that is not a stand’s; dropped');
      metrics.message('none', 'ignored', 0);
      return;
    }
    if (event.direction === 'inbound') deps.onSeen?.(event.stand, receivedAt);
    await deps.publishEvent(event);
    metrics.message(event.kind, 'published', (now().getTime() - receivedAt.getTime()) / 1000);
  };
}
