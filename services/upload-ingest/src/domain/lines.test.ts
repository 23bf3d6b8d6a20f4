import { describe, expect, it } from '@jest/globals';
import { splitCsvLine } from './csv.js';
import { bytesOf, splitLines } from './lines.js';

async function lines(...parts: (string | Uint8Array)[]) {
  const out: [number, string, boolean][] = [];
  for await (const l of splitLines(bytesOf(...parts))) out.push([l.number, l.text, l.terminated]);
  return out;
}

describe('splitLines', () => {
  it('handles LF, CRLF and CR-only line ends and drops the BOM', async () => {
    expect(await lines('\uFEFFa,b\rc\r\nd\ne')).toEqual([
      [1, 'a,b', true],
      [2, 'c', true],
      [3, 'd', true],
      [4, 'e', false],
    ]);
  });

  it('does not invent an empty line when CRLF or a UTF-8 character is split across chunks', async () => {
    const degree = Buffer.from('°F', 'utf8');
    expect(await lines('a\r', '\nb', degree.subarray(0, 1), degree.subarray(1), '\r\n')).toEqual([
      [1, 'a', true],
      [2, 'b°F', true],
    ]);
  });

  it('keeps blank lines so line numbers match an editor', async () => {
    expect(await lines('a\r\n\r\nb\r\n')).toEqual([
      [1, 'a', true],
      [2, '', true],
      [3, 'b', true],
    ]);
  });

  it('reads byte by byte the same as in one piece', async () => {
    const text = '\uFEFFx,"y"\r\nz\rw\n';
    const bytes = Buffer.from(text, 'utf8');
    const single = [...bytes].map((b) => Uint8Array.of(b));
    expect(await lines(...single)).toEqual(await lines(text));
  });
});

describe('splitCsvLine', () => {
  it('splits quoted and unquoted fields, keeping trailing empties and leading spaces', () => {
    expect(splitCsvLine('"12/26/2017","00:00:00"," -0.37","No Data"').fields).toEqual([
      '12/26/2017',
      '00:00:00',
      ' -0.37',
      'No Data',
    ]);
    expect(splitCsvLine('Point_1:,CMC.328.RT,,5 minutes,,,,,').fields).toEqual([
      'Point_1:',
      'CMC.328.RT',
      '',
      '5 minutes',
      '',
      '',
      '',
      '',
      '',
    ]);
  });

  it('accepts commas and doubled quotes inside quotes, and spaces after a closing quote', () => {
    expect(splitCsvLine('"a,b","say ""hi""","" ,"" ').fields).toEqual(['a,b', 'say "hi"', '', '']);
  });

  it('reports a quoted field that never closes, with its column', () => {
    const r = splitCsvLine('"1/1/2018","01:00:00","12.5","13');
    expect(r.error).toEqual({ column: 4, reason: expect.stringContaining('not closed') });
    expect(r.fields).toEqual(['1/1/2018', '01:00:00', '12.5']);
  });
});
