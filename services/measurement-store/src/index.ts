// What other packages may use of the store: the stream provisioning and an in-process store
// (other services' integration tests that need a running store). The schema is @ep/schema's.
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
