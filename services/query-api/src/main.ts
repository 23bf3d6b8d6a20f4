import { runService } from '@ep/lifecycle';
import { loadQueryApiConfig } from './config.js';
import { createQueryApi } from './query-api.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({ name: 'query-api', config: loadQueryApiConfig, create: createQueryApi });
