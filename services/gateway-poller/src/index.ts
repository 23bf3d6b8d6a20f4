export { createGatewayPoller, type GatewayPoller } from './poller.js';
export { parseGatewayPollerConfig, type GatewayPollerConfig } from './config.js';
export { gatewayMigrations } from './db/migrations/index.js';
export type { GatewayDatabase, Vendor, WriteOutcome } from './db/schema.js';
export { VENDORS, WRITE_OUTCOMES } from './db/schema.js';
