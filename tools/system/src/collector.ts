import { consumeQueue } from '@ep/amqp';

/** A message as the downstream consumer received it. */
export interface Delivered {
  messageId: string;
  type: string;
  content: Buffer;
  body: unknown;
  /** When it arrived here (epoch ms). */
  receivedAt: number;
}

/** A downstream consumer of the exchange: the queue's messages, collected until stop(). */
export interface QueueCollector {
  messages: Delivered[];
  stop(): Promise<void>;
}

/** Consumes `queue` (directly, not through a fault proxy) and keeps every message. */
export function collectQueue(url: string, queue: string): QueueCollector {
  const messages: Delivered[] = [];
  const controller = new AbortController();
  const running = (async () => {
    for await (const m of consumeQueue({ url, queue, prefetch: 500, signal: controller.signal })) {
      messages.push({
        messageId: m.messageId ?? '',
        type: m.type ?? '',
        content: m.content,
        body: m.body,
        receivedAt: Date.now(),
      });
    }
  })().catch(() => undefined);
  return {
    messages,
    async stop() {
      controller.abort();
      await running;
    },
  };
}
