import { CR, LF } from './chars.js';
import type { TextEncoding } from './encoding.js';

/** One line of a text file, without its line end; `number` counts from 1 as an editor does. */
export interface Line {
  number: number;
  text: string;
  /** False only for a last line that ended without CR/LF (a file cut off, or a footer without one). */
  terminated: boolean;
}

/**
 * Splits a byte stream into lines. Accepts LF, CRLF and CR-only line ends (Insight writes all
 * three) and drops the byte-order mark. Bytes are decoded chunk by chunk with a streaming
 * decoder in the file's `encoding` (UTF-8, or UTF-16 when its BOM says so), so a character split
 * across chunks survives and the file is never one string. Invalid input becomes U+FFFD rather
 * than an exception: the CSV layer reports the line.
 */
export async function* splitLines(
  source: AsyncIterable<Uint8Array>,
  encoding: TextEncoding = 'utf-8',
): AsyncGenerator<Line> {
  // ignoreBOM: false (the default) makes the decoder swallow a leading BOM.
  const decoder = new TextDecoder(encoding);
  let carry = '';
  let number = 0;
  // A CR ending one chunk may be the first half of a CRLF split across chunks.
  let pendingCR = false;
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    let text = decoder.decode(chunk, { stream: true });
    if (pendingCR && text.charCodeAt(0) === LF) text = text.slice(1);
    pendingCR = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== CR && c !== LF) continue;
      const piece = text.slice(start, i);
      number += 1;
      yield { number, text: carry.length > 0 ? carry + piece : piece, terminated: true };
      carry = '';
      if (c === CR) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === LF) i += 1;
        } else {
          pendingCR = true;
        }
      }
      start = i + 1;
    }
    carry += text.slice(start);
  }
  carry += decoder.decode();
  if (carry.length > 0) {
    number += 1;
    yield { number, text: carry, terminated: false };
  }
}

/** Adapts a Buffer or string (tests, small inputs) to the byte stream splitLines() reads. */
export async function* bytesOf(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
}
