// What other packages may use of the store: the stream provisioning and an in-process store
// (other services' integration tests that need a running store). The schema is @ep/schema's.
export {
  provisionMeasurementStreams,
  DEFAULT_ACK_WAIT_MS,
  type ProvisionOptions,
} from './adapters/provision.js';
export { startMeasurementStore, DEFAULT_LIMITS, type StoreOptions } from './store.js';
