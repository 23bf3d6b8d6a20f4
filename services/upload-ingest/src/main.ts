import { runService } from '@ep/lifecycle';
import { loadUploadIngestConfig } from './config.js';
import { createUploadIngest } from './upload-ingest.js';

// Composition root: the one shape of every service (docs/architecture.md).
await runService({ name: 'upload-ingest', config: loadUploadIngestConfig, create: createUploadIngest });
