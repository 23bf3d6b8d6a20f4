import type { PointInfo } from './model.js';

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

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const STATE_WORD = /^[A-Za-z][A-Za-z0-9 _./-]{0,39}$/;

export type ValueResult =
  | { kind: 'value'; value: number | null; quality: number }
  | { kind: 'state'; word: string }
  | { kind: 'empty' }
  | { kind: 'bad'; reason: string };

/** Classifies one cell: a number (leading/trailing space allowed), No Data, Data Loss, a state word. */
export function readValue(cell: string): ValueResult {
  const s = cell.trim();
  if (s.length === 0) return { kind: 'empty' };
  if (NUMBER.test(s)) return { kind: 'value', value: Number(s), quality: QUALITY_GOOD };
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
