import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Point } from '@ep/contracts';

import { parseAll } from './ingest.js';
import type { UploadKind } from './model.js';

/** Path of a file in test/fixtures (copies of ../shared/samples). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));
}

/** Parses a fixture or an inline text and gathers every point (merged over batches) by name. */
export async function parseForTest(
  input: { file: string } | { text: string | Buffer },
  kind: UploadKind,
  timeZone = 'America/Chicago',
  maxSamples = 5000,
  /** Bytes per chunk of the input, so characters and line ends fall across chunk boundaries. */
  chunkBytes = 997,
) {
  const open = () =>
    'file' in input
      ? createReadStream(fixture(input.file), { highWaterMark: chunkBytes })
      : chunksOf(Buffer.from(input.text), chunkBytes);
  const byName = new Map<string, Point>();
  const batches: Point[][] = [];
  const result = await parseAll(open, kind, timeZone, { maxSamples }, (batch) => {
    batches.push(batch.points);
    for (const p of batch.points) {
      const seen = byName.get(p.name);
      if (seen) seen.samples.push(...p.samples);
      else byName.set(p.name, { ...p, samples: [...p.samples] });
    }
  });
  return { ...result, byName, batches };
}

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
