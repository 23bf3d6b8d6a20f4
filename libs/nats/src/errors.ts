/**
 * Thrown by a handler when retrying cannot help (the message is valid JSON but refers to
 * something that will never exist, violates a business rule, …). The consume loop then
 * `term()`s the message and reports it through `onInvalid` instead of redelivering it.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PermanentError';
  }
}
