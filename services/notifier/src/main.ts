import { runService } from '@ep/lifecycle';
import { loadNotifierConfig } from './config.js';
import { createNotifier } from './notifier.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({ name: 'notifier', config: loadNotifierConfig, create: createNotifier });
