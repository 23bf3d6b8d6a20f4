import { createReadStream } from 'node:fs';
import { looksBinary } from '../domain/detect.js';
import { encodingOf } from '../domain/encoding.js';
import { detect, type FileShape } from '../domain/ingest.js';
import { FORMAT_DESCRIPTIONS, FORMATS, type UploadKind } from '../domain/model.js';
import type { ReceivedFile } from './ports.js';

/** Why a file is refused whole, with the status that says so. */
export interface Refusal {
  status: 415 | 422;
  why: string;
}

function accepted(kind: UploadKind): string {
  return FORMATS[kind].map((f) => `${f}: ${FORMAT_DESCRIPTIONS[f]}`).join('; ');
}

/**
 * Recognises a received file, once per upload: its encoding (a UTF-16 byte-order mark, else
 * UTF-8), field separator and format, from its first lines. Both passes then parse by this
 * shape. A file that is not text, or not a format `/upload/<kind>` takes, is a refusal.
 */
export async function checkFile(
  file: ReceivedFile,
  kind: UploadKind,
): Promise<{ shape: FileShape } | Refusal> {
  const encoding = encodingOf(file.head);
  if (looksBinary(file.head, encoding)) {
    return {
      status: 415,
      why: `the file is not CSV text (binary content); accepted at /upload/${kind}: ${accepted(kind)}`,
    };
  }
  const detection = await detect(createReadStream(file.path), encoding, kind);
  if (detection.ok) return { shape: detection.shape };
  if (detection.empty) return { status: 422, why: 'the file holds no data (only blank lines)' };
  const why = detection.detected
    ? `the file is a ${FORMAT_DESCRIPTIONS[detection.detected]}, which /upload/${kind} does not take (send it to /upload/${detection.detected.split('-')[0]})`
    : 'the file format is not recognised';
  return { status: 422, why: `${why}; accepted at /upload/${kind}: ${accepted(kind)}` };
}
