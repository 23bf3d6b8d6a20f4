import { createHash } from 'node:crypto';

/**
 * Identity of one MQTT delivery. A message the broker sends again after a lost connection keeps
 * its session (client id), packet id, topic and payload, so it gets the same key, and
 * measurement-store drops it when it comes with DUP set. Packet ids cycle through 65,535 values
 * per session, so two different messages can share a key; only a redelivery (DUP) is checked
 * against earlier keys, and the stored event id adds the time of receipt.
 */
export function deliveryKey(
  clientId: string,
  packetId: number | undefined,
  topic: string,
  payload: Uint8Array,
): string {
  const hash = createHash('sha256')
    .update(topic)
    .update('\0')
    .update(payload)
    .digest('base64url')
    .slice(0, 22);
  return `${clientId}:${packetId ?? 0}:${hash}`;
}

/** The event id stored for good (teststand_messages.event_id): unique beyond any duplicate window. */
export function eventIdFor(key: string, receivedAt: Date): string {
  return `${key}@${receivedAt.getTime().toString(36)}`;
}
