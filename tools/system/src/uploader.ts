// The CSV source: a client that posts files to upload-ingest as the legacy Windows scheduler
// did, retrying a post until it is answered (a crash or an outage on the way is not the file's
// fault). Generated files are ALC long exports whose every value the uploader knows, so the
// audit can compare what was stored with what was sent; the repository's Siemens samples are
// posted once and checked against upload-ingest's own count of what it parsed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** A sample as the audit compares it: [UTC ISO, value, quality]. */
export type Sample = [string, number | null, number];

export interface PostedFile {
  file: string;
  kind: 'siemens' | 'alc';
  /** Set once upload-ingest answered 2xx. */
  uploadId?: string;
  /** What it said it parsed (samples), from the answer. */
  parsedSamples?: number;
  /** Generated files only: every sample, keyed `node/device/parameter`. */
  expected?: Map<string, Sample[]>;
  /** First post (epoch ms) and the 2xx answer. */
  postedAt: number;
  acceptedAt?: number;
  attempts: number;
  /** A refusal that retrying cannot help (4xx other than 409): a defect the audit reports. */
  refused?: string;
}

export interface Uploader {
  posted: PostedFile[];
  /** Finishes the post under way and stops. */
  stop(): Promise<void>;
}

export interface UploaderOptions {
  url: string;
  key: string;
  site: string;
  everyMs: number;
  points: number;
  samples: number;
  fixtures: string[];
}

const START = Date.parse('2026-01-05T00:00:00Z');

/** File `n` of the generated series: its own minutes, values derived from (n, point, sample). */
export function generatedFile(
  n: number,
  points: number,
  samples: number,
): { text: string; expected: Map<string, Sample[]> } {
  const lines = ['point,timestamp,value'];
  const expected = new Map<string, Sample[]>();
  for (let p = 0; p < points; p++) {
    const name = `SYS.AHU${p + 1}.SAT`;
    const list: Sample[] = [];
    for (let s = 0; s < samples; s++) {
      const ts = new Date(START + (n * samples + s) * 60_000).toISOString();
      const value = n * 1000 + s + (p + 1) / 10;
      lines.push(`${name},${ts},${value}`);
      list.push([ts, value, 0]);
    }
    expected.set(`SYS/AHU${p + 1}/SAT`, list);
  }
  return { text: `${lines.join('\n')}\n`, expected };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startUploader(options: UploaderOptions): Uploader {
  const posted: PostedFile[] = [];
  let stopping = false;

  async function post(entry: PostedFile, bytes: Buffer): Promise<void> {
    // Retried until answered: through SIGKILLs of upload-ingest and cut links (409 = the same
    // file is still being ingested by a request that died; taken over after UPLOAD_STALE_SECONDS).
    for (;;) {
      entry.attempts += 1;
      try {
        const body = new FormData();
        body.set('file', new Blob([bytes], { type: 'text/csv' }), entry.file.split('/').at(-1));
        const res = await fetch(`${options.url}/upload/${entry.kind}?site=${options.site}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.key}` },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const report = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        if (res.ok) {
          entry.uploadId = String(report['uploadId']);
          entry.parsedSamples = Number(report['samples']);
          entry.acceptedAt = Date.now();
          return;
        }
        if (res.status !== 409 && res.status < 500) {
          entry.refused = `HTTP ${res.status}: ${JSON.stringify(report).slice(0, 300)}`;
          return;
        }
      } catch {
        // connection refused or reset: the service is down or its link was cut
      }
      await sleep(500);
    }
  }

  const running = (async () => {
    for (const file of options.fixtures) {
      if (stopping) break;
      const entry: PostedFile = { file, kind: 'siemens', postedAt: Date.now(), attempts: 0 };
      posted.push(entry);
      await post(entry, await readFile(join(repo, file)));
    }
    for (let n = 0; !stopping; n++) {
      const started = Date.now();
      const { text, expected } = generatedFile(n, options.points, options.samples);
      const entry: PostedFile = {
        file: `generated-${n}.csv`,
        kind: 'alc',
        expected,
        postedAt: started,
        attempts: 0,
      };
      posted.push(entry);
      await post(entry, Buffer.from(text));
      const wait = options.everyMs - (Date.now() - started);
      if (wait > 0 && !stopping) await sleep(wait);
    }
  })();

  return {
    posted,
    async stop() {
      stopping = true;
      await running;
    },
  };
}
