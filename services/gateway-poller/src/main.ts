import { runService } from '@ep/lifecycle';
import { loadGatewayPollerConfig } from './config.js';
import { createGatewayPoller } from './poller.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({ name: 'gateway-poller', config: loadGatewayPollerConfig, create: createGatewayPoller });
