export { createGatewayPoller, type GatewayPoller } from './poller.js';
export { parseGatewayPollerConfig, type GatewayPollerConfig } from './config.js';
export type { GatewayDatabase } from './db/schema.js';
export { listGateways, type GatewayConfig } from './db/gateways.repo.js';
