import type { UploadStatus } from '@ep/schema';

// The statuses themselves (received → parsing → publishing → published → stored, or failed) are
// the schema's; these are upload-ingest's rules over them.

/** What is on record for a file posted again (same site, endpoint and bytes). */
export interface Recorded {
  status: UploadStatus;
  /** Null for a file refused whole (binary, empty, unknown or misplaced format). */
  format: string | null;
  updatedAt: Date;
}

/**
 * What a re-post of a recorded file does:
 * - `recheck`: it was refused whole; this version may recognise it, so it is checked again;
 * - `duplicate`: it went through (or had nothing usable): answered with its record, not ingested again;
 * - `busy`: another request is ingesting it right now;
 * - `resume`: it was left unfinished (its process died, or publishing failed): this post takes it over.
 */
export type Repost = 'recheck' | 'duplicate' | 'busy' | 'resume';

export function onRepost(recorded: Recorded, now: Date, staleSeconds: number): Repost {
  if (refusedWhole(recorded)) return 'recheck';
  if (recorded.status === 'received') return 'resume';
  if (recorded.status === 'parsing' || recorded.status === 'publishing') {
    const stale = now.getTime() - recorded.updatedAt.getTime() > staleSeconds * 1000;
    return stale ? 'resume' : 'busy';
  }
  return 'duplicate';
}

/** A record of a file refused whole: it holds the key (site, kind, sha256) but no format. */
export function refusedWhole(recorded: { status: string; format: string | null }): boolean {
  return recorded.status === 'failed' && recorded.format === null;
}

/** Formats whose files must hold samples; the others (point metadata) must hold points. */
export function holdsSamples(format: string): boolean {
  return format === 'siemens-trend' || format === 'alc-wide' || format === 'alc-long';
}
