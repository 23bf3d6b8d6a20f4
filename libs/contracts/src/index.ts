export * from './names.js';
export * from './readings.js';
export * from './teststand.js';
export * from './stored.js';
export * from './amqp.js';
export { messageCatalogue, renderMessagesDoc } from './docs.js';
export * from './control.js';
export * from './time.js';
