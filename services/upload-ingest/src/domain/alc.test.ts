import { describe, expect, it } from '@jest/globals';
import { parseForTest } from './testing.js';

describe('ALC point list export (point-list-export.csv)', () => {
  it('reads one metadata point per row and reports the repeated "point name" rows', async () => {
    const r = await parseForTest({ file: 'point-list-export.csv' }, 'alc');
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'alc-point-list' } });
    // 57 rows (lines 2–58); lines 21–25 repeat "point name" of line 20 in the same program.
    expect(r.summary).toMatchObject({ points: 52, samples: 0 });
    expect(r.issues.kept.map((i) => i.line)).toEqual([21, 22, 23, 24, 25]);
    expect(r.issues.kept[0]!.reason).toBe(
      'point "point name" in FACX-Low-Pres-Steam-Boiler B-1 is listed again (first at line 20); row skipped',
    );
    expect(
      r.byName.get('/Carleton College/Faculty Club & Annex/Facility Summary/FACX-UH1/FACX-UH1.RMT'),
    ).toMatchObject({
      node: 'Carleton College/Faculty Club & Annex/Facility Summary',
      device: 'FACX-UH1',
      parameter: 'FACX-UH1.RMT',
      meta: { Type: 'BAI', 'Offset / Polarity': '0', 'Exp:Num': '0:6', 'I/O Type': 'Thermistor' },
      samples: [],
    });
  });
});

describe('ALC trend exports', () => {
  it('reads a wide export with a preamble, AM/PM times, blanks and state words', async () => {
    const text = [
      'Trend export',
      'Site: Carleton',
      '',
      'Date/Time,/Carleton/Boliou/AHU1/SAT,/Carleton/Boliou/AHU1/FAN',
      '11/5/2017 1:30:00 AM,55.5,On',
      '11/5/2017 1:30:00 AM,,Off',
      '3/11/2018 2:30:00 AM,1,On',
      '2018-03-12T10:00:00Z,abc,On',
    ].join('\r\n');
    const r = await parseForTest({ text }, 'alc');
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'alc-wide' } });
    expect(r.byName.get('/Carleton/Boliou/AHU1/SAT')).toMatchObject({
      node: 'Carleton/Boliou',
      device: 'AHU1',
      parameter: 'SAT',
    });
    expect(r.byName.get('/Carleton/Boliou/AHU1/SAT')!.samples).toEqual([
      ['2017-11-05T06:30:00.000Z', 55.5, 0],
    ]);
    expect(r.byName.get('/Carleton/Boliou/AHU1/FAN')!.samples).toEqual([
      ['2017-11-05T06:30:00.000Z', 1, 0],
      ['2017-11-05T07:30:00.000Z', 0, 0],
      ['2018-03-12T10:00:00.000Z', 1, 0],
    ]);
    expect(r.issues.kept).toEqual([
      { line: 7, column: 1, reason: expect.stringContaining('does not exist in America/Chicago') },
      {
        line: 8,
        column: 2,
        reason:
          '/Carleton/Boliou/AHU1/SAT: value "abc" is not a number (earlier values of this point are); value skipped',
      },
    ]);
  });

  it('reads a long export, tracking the fall-back hour per point', async () => {
    const text = [
      'point,timestamp,value',
      'AHU1.SAT,11/5/2017 1:00,60',
      'AHU1.RAT,11/5/2017 1:00,70',
      'AHU1.SAT,11/5/2017 1:00,61',
      'AHU1.RAT,11/5/2017 1:00,71',
      'AHU1.RAT,not a time,71',
    ].join('\n');
    const r = await parseForTest({ text }, 'alc');
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'alc-long' } });
    expect(r.byName.get('AHU1.SAT')).toMatchObject({ node: 'AHU1', device: '', parameter: 'SAT' });
    expect(r.byName.get('AHU1.SAT')!.samples).toEqual([
      ['2017-11-05T06:00:00.000Z', 60, 0],
      ['2017-11-05T07:00:00.000Z', 61, 0],
    ]);
    expect(r.byName.get('AHU1.RAT')!.samples.map((s) => s[0])).toEqual([
      '2017-11-05T06:00:00.000Z',
      '2017-11-05T07:00:00.000Z',
    ]);
    expect(r.issues.kept).toEqual([{ line: 6, column: 2, reason: expect.stringContaining('"not a time"') }]);
  });
});
