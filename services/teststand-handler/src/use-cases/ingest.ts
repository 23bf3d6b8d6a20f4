import type { NatsNames, TeststandEventInput } from '@ep/contracts';
import type { Logger } from '@ep/logger';
import type { IPublishPacket, MessageHandler } from '@ep/mqtt';
import { deliveryKey, eventIdFor } from '../domain/identity.js';
import { toTeststandEvent } from '../domain/protocol.js';

/** Publishes an event to JetStream; resolves once the stream stored it (or knew its msgID). */
export type PublishEvent = (
  subject: string,
  event: TeststandEventInput,
  msgID: string,
) => Promise<{ duplicate: boolean }>;

export interface IngestMetrics {
  /** One message handled: `outcome` published / duplicate / ignored; `seconds` from receipt to JetStream's ack. */
  message(kind: string, outcome: 'published' | 'duplicate' | 'ignored', seconds: number): void;
}

export interface IngestDeps {
  names: NatsNames;
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
 * De-duplication: the msgID is the delivery key (session, packet id, payload hash), so a message
 * resent after a crash (DUP set) is dropped by JetStream's duplicate window. A first delivery
 * (DUP clear) was never handled before, so when JetStream still says "duplicate" the key belongs
 * to an earlier message with the same payload and a recycled packet id: it is published again
 * under its event id, which adds the time of receipt.
 */
export function createIngest(deps: IngestDeps): MessageHandler {
  const { names, metrics, logger } = deps;
  const now = deps.now ?? (() => new Date());
  return async (topic: string, payload: Buffer, packet: IPublishPacket) => {
    const receivedAt = now();
    const key = deliveryKey(deps.clientId, packet.messageId, topic, payload);
    const event = toTeststandEvent(
      { topic, payload, receivedAt, eventId: eventIdFor(key, receivedAt) },
      deps.maxMessageBytes,
    );
    if (!event) {
      // Only a subscription wider than the stands' topics gets here; nothing to keep.
      logger.warn({ topic }, 'message on a topic that is not a stand’s; dropped');
      metrics.message('none', 'ignored', 0);
      return;
    }
    if (event.direction === 'inbound') deps.onSeen?.(event.stand, receivedAt);
    const subject = names.subjects.teststand(event.stand, event.kind);
    let { duplicate } = await deps.publishEvent(subject, event, key);
    if (duplicate && !packet.dup)
      duplicate = (await deps.publishEvent(subject, event, event.eventId)).duplicate;
    metrics.message(
      event.kind,
      duplicate ? 'duplicate' : 'published',
      (now().getTime() - receivedAt.getTime()) / 1000,
    );
  };
}
