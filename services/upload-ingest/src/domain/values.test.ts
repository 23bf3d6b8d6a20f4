import { describe, expect, it } from '@jest/globals';
import { PointCells, plainNumber, readValue } from './values.js';

/** The definition plainNumber() implements by hand: a decimal number with optional spaces and tabs around it. */
const REFERENCE = /^[ \t]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;

describe('plainNumber', () => {
  it('reads exactly the strings the reference expression accepts, with the value Number() gives', () => {
    const pieces = ['', ' ', '\t', '+', '-', '0', '7', '12', '.', '5', 'e', 'E', 'x', '1e', ',', '"'];
    const cases = new Set<string>([
      '12.50',
      ' -0.34',
      '1e3',
      '-.5e-2',
      '5.',
      '.',
      'Infinity',
      '0x10',
      '1_000',
      ' ',
    ]);
    // Every string of up to four pieces: covers signs, dots and exponents in every order.
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) for (const d of ['', '0', '.', 'e', ' ', '-']) cases.add(a + b + c + d);
    for (const text of cases) {
      const expected = REFERENCE.test(text) ? Number(text) : NaN;
      expect([text, plainNumber(text)]).toEqual([text, expected]);
    }
  });
});

describe('readValue', () => {
  it('still reads a number wrapped in other white space', () => {
    expect(readValue('\u00a012.5\r')).toEqual({ kind: 'value', value: 12.5, quality: 0 });
    expect(readValue(' 7 ')).toEqual({ kind: 'value', value: 7, quality: 0 });
  });
});

describe('PointCells', () => {
  it('takes numbers, No Data, Data Loss and state words, and refuses words in a numeric column', () => {
    const numeric = new PointCells();
    expect(numeric.read(' -0.34')).toEqual({ kind: 'value', value: -0.34, quality: 0, statesChanged: false });
    expect(numeric.read('No Data')).toEqual({ kind: 'value', value: null, quality: 3, statesChanged: false });
    expect(numeric.read('Data Loss')).toEqual({
      kind: 'value',
      value: null,
      quality: 2,
      statesChanged: false,
    });
    expect(numeric.read('WARMUP')).toMatchObject({ kind: 'bad' });
    const states = new PointCells();
    expect(states.read('ON')).toEqual({ kind: 'value', value: 1, quality: 0, statesChanged: true });
    expect(states.read('on')).toEqual({ kind: 'value', value: 1, quality: 0, statesChanged: false });
  });
});
