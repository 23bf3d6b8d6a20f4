import { createReadStream } from 'node:fs';
import { emptySummary, parseFile, toBatches } from '../domain/ingest.js';
import { IssueLog } from '../domain/model.js';
import type { Counted, FileJob } from './ports.js';

/** Bytes read from disk at a time by both passes. */
export const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Pass one: parses, validates and counts the whole file without keeping a sample, so the answer
 * and every batch know the totals before the first publish.
 */
export async function countPass(job: FileJob, samplesPerBatch: number): Promise<Counted> {
  const { file, site } = job.request;
  const issues = new IssueLog();
  const summary = emptySummary();
  const events = parseFile(createReadStream(file.path, { highWaterMark: READ_CHUNK_BYTES }), job.shape, {
    timeZone: site.timezone,
    issues,
  });
  for await (const batch of toBatches(events, { maxSamples: samplesPerBatch, countOnly: true }, summary))
    void batch;
  return { summary, issues };
}
