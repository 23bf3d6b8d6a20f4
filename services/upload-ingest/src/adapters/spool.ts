import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

/** A received file on local disk: hashed, measured, its first bytes kept for sniffing. */
export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  head: Buffer;
  remove(): Promise<void>;
}

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`file is larger than the limit of ${limit} bytes`);
  }
}

const HEAD_BYTES = 8192;

/**
 * Streams a request body to a temp file while hashing it: memory stays at a few chunks whatever
 * the size. Past `maxBytes` it stops with TooLargeError and deletes what it wrote.
 */
export async function spool(
  body: Readable,
  options: { maxBytes: number; dir?: string },
): Promise<SpooledFile> {
  const path = join(options.dir ?? tmpdir(), `upload-ingest-${randomUUID()}`);
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > options.maxBytes) {
        done(new TooLargeError(options.maxBytes));
        return;
      }
      hash.update(chunk);
      if (headBytes < HEAD_BYTES) {
        head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      done(null, chunk);
    },
  });
  const remove = () => rm(path, { force: true });
  try {
    await pipeline(body, meter, createWriteStream(path));
  } catch (err) {
    await remove();
    throw err;
  }
  return { path, size, sha256: hash.digest('hex'), head: Buffer.concat(head), remove };
}
