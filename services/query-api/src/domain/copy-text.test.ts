import { describe, expect, it } from '@jest/globals';
import { copyTextToJson, csvLineRewriter, formatCopyLine, isoFromPg } from './copy-text.js';

describe('COPY text rows', () => {
  it('turns PostgreSQL ISO times into ISO-8601 with a full offset, Z in UTC', () => {
    expect(isoFromPg('2017-11-05 01:00:00-06', false)).toBe('2017-11-05T01:00:00-06:00');
    expect(isoFromPg('2020-01-01 05:30:00.125+05:30', false)).toBe('2020-01-01T05:30:00.125+05:30');
    expect(isoFromPg('2018-03-25 00:00:00+00', true)).toBe('2018-03-25T00:00:00Z');
    expect(isoFromPg('2018-03-25 00:00:00+00', false)).toBe('2018-03-25T00:00:00+00:00');
  });

  it('makes JSON tuples, null for \\N and NaN, and stops at the limit saying more follow', () => {
    const text =
      '2018-01-01 00:00:00+00\t1.5\t0\n2018-01-01 01:00:00+00\t\\N\t2\n2018-01-01 02:00:00+00\tNaN\t0\n';
    const page = copyTextToJson(text, 2, true);
    expect(JSON.parse(page.json)).toEqual([
      ['2018-01-01T00:00:00Z', 1.5, 0],
      ['2018-01-01T01:00:00Z', null, 2],
    ]);
    expect(page).toMatchObject({ rows: 2, more: true, lastTs: '2018-01-01T01:00:00Z' });
    expect(JSON.parse(copyTextToJson(text, 5, true).json)[2]).toEqual(['2018-01-01T02:00:00Z', null, 0]);
    expect(copyTextToJson('', 5, true)).toEqual({ json: '[]', rows: 0, more: false, lastTs: undefined });
  });

  it('rewrites CSV across chunk boundaries, empty fields for null', () => {
    const r = csvLineRewriter(false);
    const out = Buffer.concat([
      r.push('2017-11-05 01:00:00-05\t1\t0\n2017-11-05 01:0'),
      r.push('0:00-06\t\\N\t3\n'),
      r.end(),
    ]).toString();
    expect(out).toBe('2017-11-05T01:00:00-05:00,1,0\n2017-11-05T01:00:00-06:00,,3\n');
  });

  it('writes the wall clock and the offset in hours for spreadsheets (csv-local)', () => {
    const r = csvLineRewriter(false, true);
    const out = Buffer.concat([
      r.push('2017-11-05 01:00:00-05\t1\t0\n2017-11-05 01:0'),
      r.push('0:00.5-06\t\\N\t3\n1849-12-31 23:59:59-05:50:36\t2\t0\n2020-01-01 05:30:00+05:30\t3\t0\n'),
      r.end(),
    ]).toString();
    expect(out).toBe(
      '2017-11-05 01:00:00,-5,1,0\n2017-11-05 01:00:00.5,-6,,3\n1849-12-31 23:59:59,-5.843333,2,0\n2020-01-01 05:30:00,5.5,3,0\n',
    );
  });
});

describe('the byte rewriter', () => {
  it('writes what formatCopyLine writes, line for line', () => {
    const lines = [
      '2017-11-05 01:00:00-05\t1.25\t0',
      '2017-11-05 01:00:00.5-06\t\\N\t3',
      '2020-01-01 05:30:00+05:30\t-Infinity\t4',
      '2018-03-25 00:00:00+00\t1e-05\t0',
      '2018-03-25 00:00:00+00\t-3\t0\t\\N\t7',
    ];
    for (const utc of [true, false]) {
      const json = copyTextToJson(lines.join('\n') + '\n', 100, utc).json;
      expect(json).toBe(`[${lines.map((l) => formatCopyLine(l, 'json', utc)).join(',')}]`);
      const r = csvLineRewriter(utc);
      const csv = Buffer.concat([
        r.push(lines.join('\n').slice(0, 30)),
        r.push(lines.join('\n').slice(30)),
        r.end(),
      ]).toString();
      expect(csv).toBe(lines.map((l) => formatCopyLine(l, 'csv', utc) + '\n').join(''));
      const local = csvLineRewriter(utc, true);
      expect(Buffer.concat([local.push(lines.join('\n') + '\n'), local.end()]).toString()).toBe(
        lines.map((l) => formatCopyLine(l, 'csv-local', utc) + '\n').join(''),
      );
    }
  });
});
