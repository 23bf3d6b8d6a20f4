export { connectNats, type ConnectNatsOptions } from './connect.js';
export { ensureStream, ensureConsumer, type StreamSpec, type ConsumerSpec } from './provision.js';
export { batchMsgID, createBatcher, type Batcher, type BatcherOptions } from './batcher.js';
export { publish, encodePayload, isTransientPublishError, type PublishOptions } from './publish.js';
export {
  createConsumer,
  createBatchConsumer,
  type ConsumerOptions,
  type SingleConsumerOptions,
  type BatchConsumerOptions,
  type BatchItem,
} from './consumer.js';
export type { ConsumerLoop } from './loop.js';
export type { Delivery } from './delivery.js';
export type { InvalidMessage } from './settle.js';
export { outcome, type Outcome } from './outcome.js';
export type { TerminateReason } from './metrics.js';
export { PermanentError } from './errors.js';
export { consumerLag } from './lag.js';
export { kvKeys } from './kv.js';
export { headersToRecord, recordToHeaders } from './headers.js';
