import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fixture, parseForTest } from './testing.js';

// Expectations are read off the files by hand (see test/fixtures), not from the parser's output.
// America/Chicago: December is CST (UTC-6), August CDT (UTC-5).

describe('Siemens trend report: evans-trend-report-cr-bom.csv (BOM, CR-only, unquoted, trailing commas, footer)', () => {
  it('reads every point and sample with UTC times, qualities and state words', async () => {
    const r = await parseForTest({ file: 'evans-trend-report-cr-bom.csv' }, 'siemens');
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'siemens-trend' } });
    expect(r.issues.kept).toEqual([]);
    expect(r.summary).toMatchObject({ points: 7, samples: 35, batches: 1 });
    expect([...r.byName.keys()]).toEqual([
      'CMC.328.RT',
      'CMC.328.SP',
      'EV.RM107.RT',
      'EV.RM107.SP',
      'CMC.102.SP',
      'EV.RM003.V',
      'EV.RM102.V',
    ]);
    const rt = r.byName.get('CMC.328.RT')!;
    expect(rt).toMatchObject({
      node: 'CMC',
      device: '328',
      parameter: 'RT',
      kind: 'sampled',
      // The report's "Time Interval:,15 Minutes", not the trend definition's "5 minutes".
      intervalSeconds: 900,
      meta: { trendIntervalSeconds: 300 },
    });
    expect(rt.samples).toEqual([
      ['2017-12-27T06:00:00.000Z', 25, 0],
      ['2017-12-27T06:15:00.000Z', 9, 0],
      ['2018-01-01T07:30:00.000Z', 20, 0],
      ['2018-01-01T07:45:00.000Z', 33, 0],
      ['2018-01-02T09:30:00.000Z', null, 3],
    ]);
    expect(r.byName.get('EV.RM107.SP')!.samples.map((s) => s[1])).toEqual([22.2, 13.82, 18.57, 19.62, null]);
    // ON in every row: a state point, 1 = ON as in Insight's text tables.
    expect(r.summary.finalPoints.get(1)).toMatchObject({
      name: 'CMC.328.SP',
      kind: 'state',
      states: { '1': 'ON' },
    });
    expect(r.byName.get('CMC.328.SP')!.samples.map((s) => [s[1], s[2]])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
    expect(r.byName.get('EV.RM102.V')!.samples.at(-1)).toEqual(['2018-01-02T09:30:00.000Z', null, 3]);
  });
});

describe('Siemens trend report: reccntr-audit-trend-report.head300.csv (CRLF, quoted, Error: points, No Data, -0.37)', () => {
  it('reads 57 points × 235 rows and reports the two Error: points', async () => {
    const r = await parseForTest({ file: 'reccntr-audit-trend-report.head300.csv' }, 'siemens');
    expect(r.summary).toMatchObject({ points: 57, samples: 57 * 235 });
    expect(r.issues.kept).toEqual([
      {
        line: 26,
        column: 4,
        reason:
          'point RECCNTR.AH3.MAD: Insight reported "Error: No trend definitions found."; it has no data in this report',
      },
      {
        line: 60,
        column: 4,
        reason:
          'point RECCNTR.STMFLOW: Insight reported "Error: Point not found in database."; it has no data in this report',
      },
    ]);
    expect(r.byName.has('RECCNTR.AH3.MAD')).toBe(false);
    expect(r.byName.get('RECCNTR.AH1.CCV')).toMatchObject({
      node: 'RECCNTR',
      device: 'AH1',
      parameter: 'CCV',
      intervalSeconds: 900,
    });
    // Line 66: 8/18/2017 00:00:00 CDT.
    expect(r.byName.get('RECCNTR.AH2.CO2')!.samples[0]).toEqual(['2017-08-18T05:00:00.000Z', 466, 0]);
    expect(r.byName.get('RECCNTR.CHW.GPM')!.samples[0]).toEqual(['2017-08-18T05:00:00.000Z', -0.37, 0]);
    expect(r.byName.get('RECCNTR.AH3.SVF')!.samples[0]).toEqual(['2017-08-18T05:00:00.000Z', null, 3]);
    // Line 300, the last: 8/20/2017 10:30:00 CDT.
    expect(r.byName.get('RECCNTR.AH1.CCV')!.samples.at(-1)).toEqual(['2017-08-20T15:30:00.000Z', 0, 0]);
    expect(r.byName.get('RECCNTR.AH1.CCV')!.samples).toHaveLength(235);
  });

  it('splits into batches of at most SAMPLES_PER_BATCH samples without losing any', async () => {
    const r = await parseForTest(
      { file: 'reccntr-audit-trend-report.head300.csv' },
      'siemens',
      'America/Chicago',
      1000,
    );
    const sizes = r.batches.map((b) => b.reduce((n, p) => n + p.samples.length, 0));
    expect(Math.max(...sizes)).toBe(1000);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(13395);
    expect(r.summary.batches).toBe(14);
  });
});

describe('Siemens trend report: evans-room-temp-and-valve.head300.csv', () => {
  it('reads 162 points × 132 rows, the ON column as a state, one-segment names', async () => {
    const r = await parseForTest({ file: 'evans-room-temp-and-valve.head300.csv' }, 'siemens');
    expect(r.issues.count).toBe(0);
    expect(r.summary).toMatchObject({ points: 162, samples: 162 * 132 });
    expect(r.byName.get('EV.CUH2.V')!.samples[0]).toEqual(['2017-12-26T06:00:00.000Z', 2.42, 0]);
    expect(r.byName.get('EV.HX2.ENA')).toMatchObject({
      node: 'EV',
      device: 'HX2',
      parameter: 'ENA',
      kind: 'state',
      intervalSeconds: 900,
      meta: { trend: 'COV' },
    });
    expect(r.byName.get('BIGOAT')).toMatchObject({ node: 'BIGOAT', device: '', parameter: 'BIGOAT' });
    expect(r.byName.get('BIGOAT')!.samples.every((s) => s[1] === null && s[2] === 3)).toBe(true);
    // Line 300: 12/27/2017 08:45:00 CST, OATEMP " -4.92".
    expect(r.byName.get('OATEMP')!.samples.at(-1)).toEqual(['2017-12-27T14:45:00.000Z', -4.92, 0]);
  });
});

const HEAD = [
  'Key            Name:Suffix                                Trend Definitions Used',
  'Point_1:,B.AH1.SAT,,15 minutes',
  'Point_2:,B.AH1.FAN,,15 minutes',
  'Time Interval:,15 Minutes',
  '',
  '<>Date,Time,Point_1,Point_2',
];

describe('Siemens trend report: quirks and bad rows', () => {
  it('keeps every complete row of a file cut off mid-row and reports the partial one', async () => {
    const text = [
      ...HEAD,
      '3/1/2018,0:00:00,50.1,ON',
      '3/1/2018,0:15:00,50.2,OFF',
      '3/1/2018,0:30:00,50',
    ].join('\r\n');
    const r = await parseForTest({ text }, 'siemens');
    expect(r.byName.get('B.AH1.SAT')!.samples.map((s) => s[1])).toEqual([50.1, 50.2]);
    expect(r.byName.get('B.AH1.FAN')!.samples.map((s) => s[1])).toEqual([1, 0]);
    expect(r.summary.finalPoints.get(1)!.states).toEqual({ '0': 'OFF', '1': 'ON' });
    expect(r.issues.kept).toEqual([
      { line: 9, column: 3, reason: 'last row is incomplete (file cut off mid-row); row skipped' },
    ]);
  });

  it('reports a quoted row cut inside a field', async () => {
    const text = ['"<>Date","Time","Point_1"', '"3/1/2018","0:00:00","1.5"', '"3/1/2018","0:15:00","1.'].join(
      '\n',
    );
    const r = await parseForTest({ text: ['Point_1:,X.Y.Z,,15 minutes', text].join('\n') }, 'siemens');
    expect(r.summary.samples).toBe(1);
    expect(r.issues.kept[0]).toMatchObject({
      line: 4,
      column: 3,
      reason: expect.stringContaining('cut off'),
    });
  });

  it('reads Data Loss, rejects bad cells and bad dates with line and column, ignores lines after the footer', async () => {
    const text = [
      ...HEAD,
      '3/1/2018,0:00:00,Data Loss,ON',
      '3/1/2018,0:15:00,12..5,ON',
      '3/32/2018,0:30:00,1,ON',
      '3/11/2018,2:15:00,1,ON',
      '3/1/2018,0:45:00,No Data,Active',
      '"******** End of Report ********"',
      '3/1/2018,1:00:00,9,ON',
    ].join('\n');
    const r = await parseForTest({ text }, 'siemens');
    expect(r.byName.get('B.AH1.SAT')!.samples).toEqual([
      ['2018-03-01T06:00:00.000Z', null, 2],
      ['2018-03-01T06:45:00.000Z', null, 3],
    ]);
    // Active is not OFF/ON: the next free number, recorded in the point's states.
    expect(r.byName.get('B.AH1.FAN')!.samples.map((s) => s[1])).toEqual([1, 1, 2]);
    expect(r.summary.finalPoints.get(1)!.states).toEqual({ '1': 'ON', '2': 'Active' });
    expect(r.issues.kept).toEqual([
      {
        line: 8,
        column: 3,
        reason:
          'B.AH1.SAT: value "12..5" is not a number, "No Data", "Data Loss" or a state word; value skipped',
      },
      { line: 9, column: 1, reason: 'date "3/32/2018" does not exist; row skipped' },
      {
        line: 10,
        column: 2,
        reason:
          'local time 2018-03-11 02:15:00 does not exist in America/Chicago (clocks jump forward over it); row skipped',
      },
    ]);
  });

  it('maps the repeated fall-back hour of a report to both instants in file order', async () => {
    const text = [
      ...HEAD,
      '11/5/2017,1:00:00,1,ON',
      '11/5/2017,1:30:00,2,ON',
      '11/5/2017,1:00:00,3,ON',
      '11/5/2017,1:30:00,4,ON',
    ].join('\n');
    const r = await parseForTest({ text }, 'siemens');
    expect(r.byName.get('B.AH1.SAT')!.samples).toEqual([
      ['2017-11-05T06:00:00.000Z', 1, 0],
      ['2017-11-05T06:30:00.000Z', 2, 0],
      ['2017-11-05T07:00:00.000Z', 3, 0],
      ['2017-11-05T07:30:00.000Z', 4, 0],
    ]);
  });

  it('keeps the first 100 issues and counts them all', async () => {
    const rows = Array.from({ length: 150 }, (_, i) => `3/1/2018,0:00:00,bad value ${i}!,ON`);
    const r = await parseForTest({ text: [...HEAD, ...rows].join('\n') }, 'siemens');
    expect(r.issues.count).toBe(150);
    expect(r.issues.kept).toHaveLength(100);
  });
});

describe('Siemens point definition report', () => {
  it('reads units, descriptors and text tables of all 59 points', async () => {
    const r = await parseForTest({ file: 'point-definition-report.csv' }, 'siemens');
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'siemens-point-definition' } });
    expect(r.issues.kept).toEqual([]);
    expect(r.summary).toMatchObject({ points: 59, samples: 0, batches: 1 });
    expect(r.byName.get('TEMPRY')).toMatchObject({
      node: 'TEMPRY',
      device: '',
      parameter: 'TEMPRY',
      unit: 'DEG F',
      description: 'THIS IS TEMP',
      kind: 'sampled',
      samples: [],
    });
    expect(r.byName.get('TEMPRY')!.meta).toMatchObject({
      'Point Type': 'LAO',
      'Panel Name': ['PXCM27', '(HULINGS.PXCM27)'],
      Slope: '1.0',
      Intercept: '0.0',
    });
    expect(r.byName.get('TEST_CT')).toMatchObject({ kind: 'state', states: { '0': 'OFF', '1': 'ON' } });
    expect(r.byName.get('VFD1:OK.FAULT')).toMatchObject({
      node: 'VFD1',
      device: '',
      parameter: 'OK.FAULT',
      states: { '0': 'OK', '1': 'FAULT' },
    });
    expect(r.byName.get('TESTING.DONT.TOUCH:AUX TEMP')).toMatchObject({
      node: 'TESTING',
      device: 'DONT.TOUCH',
      parameter: 'AUX TEMP',
      unit: 'DEG F',
    });
    expect(r.byName.get('VOTEMP')).toBeDefined();
  });

  it("marks what a definition states as explicit (it replaces a person's edit); a trend report marks nothing", async () => {
    const r = await parseForTest({ file: 'point-definition-report.csv' }, 'siemens');
    expect(r.byName.get('TEMPRY')!.explicit).toEqual(['unit', 'kind', 'description']);
    expect(r.byName.get('TEST_CT')!.explicit).toEqual(expect.arrayContaining(['kind', 'states']));
    const trend = await parseForTest({ file: 'evans-trend-report-cr-bom.csv' }, 'siemens');
    expect(trend.byName.get('CMC.328.RT')).toMatchObject({ kind: 'sampled' });
    expect(trend.byName.get('CMC.328.RT')!.explicit).toBeUndefined();
  });
});

describe("a point's expected interval is the report's", () => {
  it('takes the Time Interval: line over the trend definition, so complete rows cover every bucket', async () => {
    const r = await parseForTest({ file: 'evans-room-temp-and-valve.head300.csv' }, 'siemens');
    const cuh2 = r.byName.get('EV.CUH2.V')!;
    expect(cuh2).toMatchObject({ intervalSeconds: 900, meta: { trendIntervalSeconds: 300 } });
    // 12/26/2017 00:00–01:00 local: four rows, as many as a 15-minute interval expects.
    const firstHour = cuh2.samples.filter((s) => s[0] < '2017-12-26T07:00:00.000Z');
    expect(firstHour.length * cuh2.intervalSeconds!).toBe(3600);
  });

  it("adds nothing to a point of a report at its trend definition's own interval", async () => {
    const r = await parseForTest({ file: 'reccntr-audit-trend-report.head300.csv' }, 'siemens');
    const point = r.byName.get('RECCNTR.CHW.GPM')!;
    expect([point.intervalSeconds, point.meta]).toEqual([900, undefined]);
  });

  it('takes the spacing of the rows when the report has no Time Interval: line', async () => {
    const text = [
      'Point_1:,B.AH1.SAT,,5 minutes',
      'Point_2:,B.AH1.FAN,,COV',
      '<>Date,Time,Point_1,Point_2',
      '3/1/2018,0:00:00,1,ON',
      '3/1/2018,0:30:00,2,ON',
      '3/1/2018,1:00:00,3,OFF',
      '',
    ].join('\r\n');
    const r = await parseForTest({ text }, 'siemens');
    expect(r.summary.samples).toBe(6);
    expect(r.byName.get('B.AH1.SAT')).toMatchObject({
      intervalSeconds: 1800,
      meta: { trendIntervalSeconds: 300 },
    });
    expect(r.byName.get('B.AH1.FAN')).toMatchObject({ intervalSeconds: 1800, meta: { trend: 'COV' } });
  });
});

describe('UTF-16 text, as Excel saves "Unicode text" (tab-separated) and "CSV UTF-16"', () => {
  const utf8 = readFileSync(fixture('evans-trend-report-cr-bom.csv'), 'utf8').replace(/^\uFEFF/, '');
  const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  const utf16be = (text: string) => {
    const le = Buffer.from(text, 'utf16le');
    return Buffer.concat([Buffer.from([0xfe, 0xff]), le.swap16()]);
  };

  it.each([
    ['UTF-16LE, tab-separated', utf16le(utf8.replaceAll(',', '\t'))],
    ['UTF-16BE, tab-separated', utf16be(utf8.replaceAll(',', '\t'))],
    ['UTF-16LE, comma-separated', utf16le(utf8)],
  ])('reads %s exactly as the UTF-8 original', async (_label, bytes) => {
    const original = await parseForTest({ file: 'evans-trend-report-cr-bom.csv' }, 'siemens');
    const r = await parseForTest({ text: bytes }, 'siemens', 'America/Chicago', 5000, 7);
    expect(r.detection).toMatchObject({ ok: true, shape: { format: 'siemens-trend' } });
    expect(r.issues.kept).toEqual([]);
    expect(r.summary).toMatchObject({ points: 7, samples: 35 });
    expect([...r.byName.values()]).toEqual([...original.byName.values()]);
  });
});

describe('format detection', () => {
  it('names an ALC file posted to the Siemens endpoint', async () => {
    const r = await parseForTest({ file: 'point-list-export.csv' }, 'siemens');
    expect(r.detection).toEqual({ ok: false, empty: false, detected: 'alc-point-list' });
  });

  it('tells empty and unknown apart', async () => {
    expect((await parseForTest({ text: '\r\n\r\n' }, 'siemens')).detection).toEqual({
      ok: false,
      empty: true,
    });
    expect((await parseForTest({ text: 'a,b,c\n1,2,3\n' }, 'alc')).detection).toEqual({
      ok: false,
      empty: false,
    });
  });
});
