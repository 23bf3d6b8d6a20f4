/**
 * Text encodings a file may come in. Excel's "Unicode text" and "CSV UTF-16" exports are UTF-16
 * little-endian with a byte-order mark (big-endian on some Macs); everything else is read as UTF-8.
 */
export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/**
 * The encoding a file's first bytes announce. Only a UTF-16 byte-order mark switches away from
 * UTF-8: without one, UTF-16 cannot be told from binary reliably, and the file is refused as such.
 */
export function encodingOf(head: Uint8Array): TextEncoding {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}
