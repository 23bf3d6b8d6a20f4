export {
  startSystem,
  SERVICES,
  type RunningService,
  type System,
  type SystemLoad,
  type SystemOptions,
  type SystemService,
} from './system.js';
export { auditSystem, settledAudit, formatAudit, type Audit, type Comparison } from './audit.js';
export { collectQueue, type Delivered, type QueueCollector } from './collector.js';
export { generatedFile, startUploader, type PostedFile, type Sample, type Uploader } from './uploader.js';
