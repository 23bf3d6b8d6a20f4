// What other packages may use: the factory and config (integration tests, benchmarks) and the
// protocol (the simulator).
export { createTeststandHandler, subscriptionTopics, type TeststandHandler } from './teststand-handler.js';
export { parseTeststandHandlerConfig, type TeststandHandlerConfig } from './config.js';
export {
  commandPayload,
  outboundTopic,
  parsePayload,
  parseStandTopic,
  toTeststandEvent,
} from './domain/protocol.js';
