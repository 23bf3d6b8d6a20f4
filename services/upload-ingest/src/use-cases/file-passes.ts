import { countPass } from './count-pass.js';
import type { FilePasses } from './ports.js';
import { publishPass, type PublishDeps } from './publish-pass.js';

/** Both passes over a file, as the ingest use case calls them (and metrics wrap them). */
export function createFilePasses(deps: PublishDeps): FilePasses {
  return {
    count: (job) => countPass(job, deps.samplesPerBatch),
    publish: (job, counted) => publishPass(deps, job, counted),
  };
}
