import {
  TeststandCommandRequestV1,
  type TeststandCommandReply,
  type TeststandEventInput,
} from '@ep/contracts';
import type { PublishOptions } from '@ep/mqtt';
import { commandPayload, outboundTopic } from '../domain/protocol.js';
import type { PublishEvent } from './ingest.js';

export interface CommandDeps {
  sentBy: string;
  /** MQTT publish; resolves on the broker's PUBACK. */
  publishMqtt: (topic: string, payload: string, options: PublishOptions) => Promise<void>;
  publishEvent: PublishEvent;
  /** Longest wait for the broker's PUBACK, in ms. */
  timeoutMs: number;
  metrics: { command(outcome: TeststandCommandReply['outcome']): void };
  now?: () => Date;
}

/**
 * Sends one command (a NATS request's body) to its stand at QoS 1 and answers whether the broker
 * took it. A command the broker took is also published as a `command` event (direction
 * outbound), so it is stored with the stand's messages; its event id is the command id, so a
 * retried request is stored once (the event id is unique in the store).
 */
export function createCommandSender(deps: CommandDeps): (body: unknown) => Promise<TeststandCommandReply> {
  const now = deps.now ?? (() => new Date());
  return async (body) => {
    const request = TeststandCommandRequestV1.parse(body);
    const topic = outboundTopic(request.stand, request.module);
    const payload = commandPayload({
      sentBy: deps.sentBy,
      commands: request.commands,
      parameters: request.parameters,
    });
    // Taken before the publish: a stand may answer before our PUBACK is back, and its reply is
    // the first status received at or after this time.
    const sentAt = now().toISOString();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        deps.publishMqtt(topic, payload, { qos: 1 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the broker did not acknowledge within ${deps.timeoutMs} ms`)),
            deps.timeoutMs,
          );
        }),
      ]);
    } catch (err) {
      deps.metrics.command('refused');
      return { v: 1, commandId: request.commandId, topic, outcome: 'refused', error: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
    const eventId = `command:${request.commandId}`;
    const event: TeststandEventInput = {
      v: 1,
      eventId,
      stand: request.stand,
      module: request.module,
      kind: 'command',
      direction: 'outbound',
      topic,
      receivedAt: sentAt,
      protocolVersion: '1.1',
      sentBy: deps.sentBy,
      msgType: 'command',
      statusCode: 200,
      commands: request.commands,
      parameters: request.parameters,
      raw: payload,
      valid: true,
      errors: [],
    };
    await deps.publishEvent(event);
    deps.metrics.command('sent');
    return { v: 1, commandId: request.commandId, topic, outcome: 'sent', sentAt };
  };
}
