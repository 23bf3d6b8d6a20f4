import { natsNames, type TeststandCommandReply } from '@ep/contracts';
import type { NatsConnection } from '@nats-io/nats-core';
import { NoHandlerError, type RequestCommand } from './teststand-commands.js';

/**
 * Command requests over core NATS to the teststand-handler queue group. No responders or a
 * time-out mean no handler took it: NoHandlerError (the command is stored as failed).
 */
export function natsCommandRequester(nc: NatsConnection, prefix: string, timeoutMs: number): RequestCommand {
  const names = natsNames(prefix);
  return async (request) => {
    let msg;
    try {
      msg = await nc.request(names.subjects.teststandCommand(request.stand), JSON.stringify(request), {
        timeout: timeoutMs,
      });
    } catch (err) {
      const text = String((err as Error).message);
      if (/no responders|503/i.test(text)) throw new NoHandlerError('no teststand-handler is running');
      if (/timeout/i.test(text))
        throw new NoHandlerError(`no teststand-handler answered within ${timeoutMs} ms`);
      throw err;
    }
    const body = msg.json<TeststandCommandReply | { error: string }>();
    if ('error' in body && !('outcome' in body)) throw new Error(`teststand-handler: ${body.error}`);
    return body as TeststandCommandReply;
  };
}
