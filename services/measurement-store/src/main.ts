import { runService } from '@ep/lifecycle';
import { loadStoreConfig } from './config.js';
import { createMeasurementStore } from './store.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({ name: 'measurement-store', config: loadStoreConfig, create: createMeasurementStore });
