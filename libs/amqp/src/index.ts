export {
  createAmqpPublisher,
  type AmqpPublisher,
  type AmqpPublisherOptions,
  type PublishProperties,
  type PublisherState,
  type ReturnedMessage,
} from './publisher.js';
export { AmqpPublishError, type AmqpPublishFailure } from './errors.js';
export {
  bindQueue,
  consumeQueue,
  type BindQueueOptions,
  type ConsumeQueueOptions,
  type ConsumedMessage,
  type QueueInfo,
} from './queues.js';
