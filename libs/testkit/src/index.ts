export { infraUrls, uniqueName, uniquePrefix, type TestInfra } from './infra.js';
export { createTestDatabase, type TestDatabase } from './database.js';
export { startFaultProxy, type FaultProxy } from './fault-proxy.js';
export { waitFor } from './wait.js';
export { freePort } from './port.js';
export { storedReadingsEvent, storedTeststandEvent, storedTeststandEvents } from './events.js';
export {
  buildServices,
  serviceDir,
  startService,
  startStore,
  type ServiceName,
  type ServiceProcess,
  type ExitStatus,
  type StartServiceOptions,
} from './services.js';
export { startMosquitto, type Mosquitto } from './mosquitto.js';
export { endWithUs } from './children.js';
