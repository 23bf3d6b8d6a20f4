// What other packages may use of the store: the migrations that own the schema (the CLI), the
// stream provisioning and an in-process store (other services' integration tests, benchmarks).
export { migrations } from './db/migrations/index.js';
export type { Database } from './db/schema.js';
export {
  provisionMeasurementStreams,
  DEFAULT_ACK_WAIT_MS,
  type ProvisionOptions,
} from './adapters/provision.js';
export {
  createMeasurementStore,
  startMeasurementStore,
  type MeasurementStore,
  type StoreOptions,
} from './store.js';
export { parseStoreConfig, StoreConfigSchema, type StoreConfig } from './config.js';
