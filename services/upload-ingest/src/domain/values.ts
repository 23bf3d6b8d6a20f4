import type { PointInfo } from './model.js';
import { DIGIT_0, DIGIT_9, DOT, LOWER_E, MINUS, PLUS, SPACE, TAB, UPPER_E } from './chars.js';

export const QUALITY_GOOD = 0;
export const QUALITY_DATA_LOSS = 2;
export const QUALITY_NO_DATA = 3;

/**
 * Numbers of the state words Insight and WebCTRL print, matching the text tables of the point
 * definition reports (`0 - OFF`, `1 - ON`, `0 - DAY`, `1 - NIGHT`, …) so a state stored from a
 * trend report means the same as the table says. A word not listed gets the next free number
 * (from 2) for that point, in order of first appearance, and is recorded in the point's states.
 */
const KNOWN_STATES: Record<string, number> = {
  OFF: 0,
  ON: 1,
  INACTIVE: 0,
  ACTIVE: 1,
  FALSE: 0,
  TRUE: 1,
  NO: 0,
  YES: 1,
  CLOSED: 0,
  CLOSE: 0,
  OPEN: 1,
  NORMAL: 0,
  ALARM: 1,
  OK: 0,
  FAULT: 1,
  STOP: 0,
  RUN: 1,
  DAY: 0,
  NIGHT: 1,
  COOL: 0,
  HEAT: 1,
  DISABL: 0,
  DISABLE: 0,
  DISABLED: 0,
  ENABLE: 1,
  ENABLED: 1,
  UNOCC: 0,
  UNOCCUPIED: 0,
  OCC: 1,
  OCCUPIED: 1,
  RESET: 1,
};

const STATE_WORD = /^[A-Za-z][A-Za-z0-9 _./-]{0,39}$/;

/** Skips ASCII digits from `i`; returns where they end. */
function digits(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) break;
    i++;
  }
  return i;
}

/**
 * The value of a cell holding a plain decimal number (` -0.34`, `12.50`, `1e3`, spaces around
 * allowed), or NaN for anything else. Nearly every cell of a trend file is one, so this scans
 * characters instead of trimming and matching a regular expression, and allocates nothing. It
 * accepts what `/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/` accepts once spaces and tabs
 * around it are dropped (readValue trims other white space first).
 */
export function plainNumber(cell: string): number {
  let start = 0;
  let end = cell.length;
  while (start < end && (cell.charCodeAt(start) === SPACE || cell.charCodeAt(start) === TAB)) start++;
  while (end > start && (cell.charCodeAt(end - 1) === SPACE || cell.charCodeAt(end - 1) === TAB)) end--;
  let i = start;
  if (i < end && (cell.charCodeAt(i) === PLUS || cell.charCodeAt(i) === MINUS)) i++;
  const intEnd = digits(cell, i);
  let mantissa = intEnd - i;
  i = intEnd;
  if (i < end && cell.charCodeAt(i) === DOT) {
    const fracEnd = digits(cell, i + 1);
    mantissa += fracEnd - i - 1;
    i = fracEnd;
  }
  if (mantissa === 0) return NaN;
  if (i < end && (cell.charCodeAt(i) === LOWER_E || cell.charCodeAt(i) === UPPER_E)) {
    i++;
    if (i < end && (cell.charCodeAt(i) === PLUS || cell.charCodeAt(i) === MINUS)) i++;
    const expEnd = digits(cell, i);
    if (expEnd === i) return NaN;
    i = expEnd;
  }
  if (i !== end) return NaN;
  return Number(start === 0 && end === cell.length ? cell : cell.slice(start, end));
}

export type ValueResult =
  | { kind: 'value'; value: number | null; quality: number }
  | { kind: 'state'; word: string }
  | { kind: 'empty' }
  | { kind: 'bad'; reason: string };

/** Classifies one cell: a number (leading/trailing space allowed), No Data, Data Loss, a state word. */
export function readValue(cell: string): ValueResult {
  const s = cell.trim();
  if (s.length === 0) return { kind: 'empty' };
  const n = plainNumber(s);
  if (!Number.isNaN(n)) return { kind: 'value', value: n, quality: QUALITY_GOOD };
  const upper = s.toUpperCase();
  if (upper === 'NO DATA') return { kind: 'value', value: null, quality: QUALITY_NO_DATA };
  if (upper === 'DATA LOSS') return { kind: 'value', value: null, quality: QUALITY_DATA_LOSS };
  if (STATE_WORD.test(s)) return { kind: 'state', word: s };
  return {
    kind: 'bad',
    reason: `value ${JSON.stringify(cell.length > 40 ? cell.slice(0, 40) + '…' : cell)} is not a number, "No Data", "Data Loss" or a state word`,
  };
}

/** State words of one point and their numbers; `changed` tells the caller to re-declare the point. */
export class StateTable {
  readonly states: Record<string, string> = {};
  private readonly byWord = new Map<string, number>();
  private nextFree = 2;

  /** Returns the number of a word and whether the table grew. */
  number(word: string): { value: number; added: boolean } {
    const upper = word.toUpperCase();
    const known = this.byWord.get(upper);
    if (known !== undefined) return { value: known, added: false };
    let value = KNOWN_STATES[upper];
    const taken = new Set(this.byWord.values());
    if (value === undefined || taken.has(value)) {
      while (taken.has(this.nextFree)) this.nextFree++;
      value = this.nextFree++;
    }
    this.byWord.set(upper, value);
    this.states[String(value)] = word;
    return { value, added: true };
  }
}

/** Applies a state table to a point's metadata. */
export function withStates(point: PointInfo, table: StateTable): PointInfo {
  return { ...point, kind: 'state', states: { ...table.states } };
}

export type CellResult =
  | { kind: 'value'; value: number | null; quality: number; statesChanged: boolean }
  | { kind: 'empty' }
  | { kind: 'bad'; reason: string };

/**
 * Reads the cells of one point's column. Words are states, except that a word unknown to
 * KNOWN_STATES in a column that has already held numbers is taken for garbage, not a new state:
 * Insight and WebCTRL print a point either as numbers or as words, never both.
 */
export class PointCells {
  states?: StateTable;
  private sawNumber = false;

  read(cell: string): CellResult {
    // The common case first, with no intermediate result object.
    const n = plainNumber(cell);
    if (!Number.isNaN(n)) {
      this.sawNumber = true;
      return { kind: 'value', value: n, quality: QUALITY_GOOD, statesChanged: false };
    }
    const v = readValue(cell);
    if (v.kind === 'value') {
      if (v.value !== null) this.sawNumber = true;
      return { ...v, statesChanged: false };
    }
    if (v.kind !== 'state') return v;
    if (this.sawNumber && !this.states && KNOWN_STATES[v.word.toUpperCase()] === undefined) {
      return {
        kind: 'bad',
        reason: `value ${JSON.stringify(v.word)} is not a number (earlier values of this point are)`,
      };
    }
    this.states ??= new StateTable();
    const { value, added } = this.states.number(v.word);
    return { kind: 'value', value, quality: QUALITY_GOOD, statesChanged: added };
  }
}
