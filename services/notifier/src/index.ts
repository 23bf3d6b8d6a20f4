// What other packages (benchmarks, system tests) may use of the notifier.
export { createNotifier, type Notifier, type NotifierDeps } from './notifier.js';
export { parseNotifierConfig, NotifierConfigSchema, type NotifierConfig } from './config.js';
export { toAmqpMessages, partMessageId, type OutboundMessage } from './domain/message.js';
export { splitReadings, joinReadingsParts } from './domain/split.js';
