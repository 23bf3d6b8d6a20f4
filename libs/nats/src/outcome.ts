/**
 * How a batch handler settles one message of its batch:
 * - `ack`: its effect is durable;
 * - `nak`: try again later, after `delayMs` (the consumer's nakDelayMs when left out);
 * - `term`: it can never succeed; it is terminated, logged and reported to onInvalid with
 *   reason `permanent`, exactly like a message whose handler threw a PermanentError.
 */
export type Outcome =
  | { readonly kind: 'ack' }
  | { readonly kind: 'nak'; readonly delayMs?: number }
  | { readonly kind: 'term'; readonly reason: string | Error };

const ACK: Outcome = Object.freeze({ kind: 'ack' });

/** Builders of outcomes; `outcome.ack` is one shared value, so acking allocates nothing. */
export const outcome = {
  ack: ACK,
  nak: (delayMs?: number): Outcome => (delayMs === undefined ? { kind: 'nak' } : { kind: 'nak', delayMs }),
  term: (reason: string | Error): Outcome => ({ kind: 'term', reason }),
} as const;
