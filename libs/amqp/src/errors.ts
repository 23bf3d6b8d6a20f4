/** Why a publish did not get a broker confirm. */
export type AmqpPublishFailure =
  /** No connection right now; the publisher is reconnecting in the background. */
  | 'not-connected'
  /** The broker raised a resource alarm (memory, disk) and sent connection.blocked. */
  | 'blocked'
  /** The connection or channel closed after the message was sent and before its confirm. */
  | 'connection-lost'
  /** The broker answered basic.nack: it could not take responsibility for the message. */
  | 'nacked'
  /** stop() was called; this process will not publish any more. */
  | 'stopped';

/**
 * A publish that was not confirmed. Every reason is transient for the message: the caller should
 * retry it later (the notifier naks the NATS message with a delay), and a retry is harmless
 * because consumers de-duplicate on message_id. A message that failed with `connection-lost` may
 * still have reached the broker.
 */
export class AmqpPublishError extends Error {
  readonly transient = true;

  constructor(
    readonly reason: AmqpPublishFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AmqpPublishError';
  }
}
