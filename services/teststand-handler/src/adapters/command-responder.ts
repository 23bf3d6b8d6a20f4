import type { Resource } from '@ep/lifecycle';
import type { Logger } from '@ep/logger';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { ZodError } from 'zod';

/**
 * Answers command requests (core NATS request/reply) in a queue group, so exactly one replica
 * sends each command. A request that does not parse is answered with an error, never dropped
 * silently (the requester would only see a time-out).
 */
export function createCommandResponder(deps: {
  nc: NatsConnection;
  subject: string;
  queue: string;
  send: (body: unknown) => Promise<object>;
  logger: Logger;
}): Resource {
  const logger = deps.logger.child({ component: 'commands' });
  let sub: Subscription | undefined;
  let loop: Promise<void> | undefined;
  return {
    name: 'command-responder',
    async start() {
      const subscription = deps.nc.subscribe(deps.subject, { queue: deps.queue });
      sub = subscription;
      loop = (async () => {
        for await (const msg of subscription) {
          void (async () => {
            try {
              msg.respond(JSON.stringify(await deps.send(msg.json())));
            } catch (err) {
              const error =
                err instanceof ZodError ? `invalid command request: ${err.message}` : 'internal error';
              if (!(err instanceof ZodError)) logger.error({ err }, 'command failed');
              msg.respond(JSON.stringify({ error }));
            }
          })();
        }
      })();
    },
    async stop() {
      await sub?.drain();
      await loop;
    },
  };
}
