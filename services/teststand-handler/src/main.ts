import { runService } from '@ep/lifecycle';
import { loadTeststandHandlerConfig } from './config.js';
import { createTeststandHandler } from './teststand-handler.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({
  name: 'teststand-handler',
  config: loadTeststandHandlerConfig,
  create: createTeststandHandler,
});
