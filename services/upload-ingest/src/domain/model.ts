import type { Delimiter } from './csv.js';

/** Formats recognised by content, and which endpoint takes which. */
export const FORMATS = {
  siemens: ['siemens-trend', 'siemens-point-definition'],
  alc: ['alc-wide', 'alc-long', 'alc-point-list'],
} as const;
export type UploadKind = keyof typeof FORMATS;
export type Format = (typeof FORMATS)[UploadKind][number];

/** Human names of the formats, for error messages that say what is accepted. */
export const FORMAT_DESCRIPTIONS: Record<Format, string> = {
  'siemens-trend': 'Siemens Insight Trend Interval Report (Key Name:/Point_N: lines, "<>Date,Time,…" header)',
  'siemens-point-definition': 'Siemens Insight Point Definition report ("Point System Name:" blocks)',
  'alc-wide': 'Automated Logic wide trend CSV (a timestamp column, then one column per point)',
  'alc-long': 'Automated Logic long trend CSV (header point,timestamp,value)',
  'alc-point-list': 'Automated Logic WebCTRL point list export (header Location,Control Program,Name,Type,…)',
};

/** What a file says about a point, without samples. Mirrors the contract's Point. */
export interface PointInfo {
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit?: string;
  kind?: 'sampled' | 'state' | 'counter' | 'event';
  states?: Record<string, string>;
  description?: string;
  intervalSeconds?: number;
  meta?: Record<string, unknown>;
  /** Fields the file states on purpose; they replace a person's edit (contract Point.explicit). */
  explicit?: ('unit' | 'kind' | 'states' | 'description' | 'intervalSeconds')[];
}

/** One problem in a file: 1-based line, 1-based column (field) when one field is at fault. */
export interface ParseIssue {
  line: number;
  column: number | null;
  reason: string;
}

/**
 * What a parser emits, in file order. A `point` event declares a point (again, with more
 * metadata, when it learns a new state word); `row` carries samples of declared points at one
 * instant. Rows keep the per-point values in parallel arrays to avoid an object per sample.
 */
export type ParseEvent =
  | { type: 'point'; id: number; point: PointInfo }
  | { type: 'row'; ts: string; ids: number[]; values: (number | null)[]; qualities: number[] };

/** Context every parser gets. */
export interface ParseContext {
  /** The site's IANA zone: local times in the file are read in it. */
  timeZone: string;
  issues: IssueLog;
  /** The file's field separator, found by detection. */
  delimiter: Delimiter;
}

/** Keeps the first `keep` issues and counts all of them, so a file of bad rows cannot eat memory. */
export class IssueLog {
  readonly kept: ParseIssue[] = [];
  count = 0;
  constructor(readonly keep = 100) {}
  add(line: number, column: number | null, reason: string): void {
    this.count += 1;
    if (this.kept.length < this.keep) this.kept.push({ line, column, reason });
  }
}
