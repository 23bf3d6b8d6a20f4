import { createReadStream } from 'node:fs';
import type { NatsNames, ReadingsBatchInput } from '@ep/contracts';
import { encodePayload, publish } from '@ep/nats';
import { nextHopTraceHeaders } from '@ep/telemetry';
import type { JetStreamClient } from '@nats-io/jetstream';
import { PublishWindow } from './publish-window.js';
import { emptySummary, parseFile, toBatches } from '../domain/ingest.js';
import { IssueLog } from '../domain/model.js';
import { READ_CHUNK_BYTES } from './count-pass.js';
import type { Counted, FileJob } from './ports.js';

export interface PublishDeps {
  js: JetStreamClient;
  names: NatsNames;
  /** SAMPLES_PER_BATCH. */
  samplesPerBatch: number;
  /** PUBLISH_CONCURRENCY: publishes awaiting their ack at once. */
  publishConcurrency: number;
}

/**
 * Pass two: parses the file again and publishes its readings batches, each with a deterministic
 * msgID (`<kind>:<sha256>:<chunk>`), so a re-post of an unfinished upload republishes the same
 * messages and JetStream drops those it has.
 */
export async function publishPass(deps: PublishDeps, job: FileJob, first: Counted): Promise<void> {
  const { kind, site, file, filename } = job.request;
  const subject = deps.names.subjects.readings(kind, site.key);
  const trace = nextHopTraceHeaders(job.request.headers);
  const headers = Object.keys(trace).length > 0 ? { headers: trace } : {};
  const events = parseFile(createReadStream(file.path, { highWaterMark: READ_CHUNK_BYTES }), job.shape, {
    timeZone: site.timezone,
    issues: new IssueLog(0),
  });
  const window = new PublishWindow(deps.publishConcurrency);
  const producedAt = new Date().toISOString();
  const chunks = first.summary.batches;
  let chunk = 0;
  for await (const body of toBatches(
    events,
    { maxSamples: deps.samplesPerBatch, finalPoints: first.summary.finalPoints },
    emptySummary(),
  )) {
    const batchId = `${kind}:${file.sha256}:${chunk}`;
    const message: ReadingsBatchInput = {
      v: 1,
      batchId,
      source: kind,
      site: site.key,
      producedAt,
      origin: { uploadId: job.uploadId, ...(filename ? { file: filename } : {}), chunk, chunks },
      points: body.points,
    };
    chunk += 1;
    // Encoded now, so that only the bytes wait for the PubAck: the object form (an array per
    // sample) becomes garbage at once instead of surviving into V8's old space.
    await window.add(publish(deps.js, subject, encodePayload(message), { msgID: batchId, ...headers }));
    if (window.failed) break;
  }
  await window.drain();
  if (chunk !== chunks) throw new Error(`second pass made ${chunk} batches, the first ${chunks}`);
}
