import { describe, expect, it } from '@jest/globals';
import { chartCsv, exportPath } from './csv.js';
import { chooseResolution } from './resolution.js';
import { aggregateColumns, joinTables, rawColumns, type Sample } from './series.js';
import { buildTree, searchPoints, type PointInfo } from './tree.js';

const DAY = 86_400_000;

describe('resolution', () => {
  it('draws raw samples close up and aggregates far out, without being asked', () => {
    expect(chooseResolution(DAY, [300])).toBe('raw');
    expect(chooseResolution(14 * DAY, [300])).toBe('raw');
    expect(chooseResolution(30 * DAY, [300])).toBe('hourly');
    expect(chooseResolution(365 * DAY, [300])).toBe('daily');
    // The densest point decides; an unknown interval counts as 5 minutes.
    expect(chooseResolution(30 * DAY, [3600, 900])).toBe('raw');
    expect(chooseResolution(30 * DAY, [null])).toBe('hourly');
    expect(chooseResolution(365 * DAY, [300], 'raw')).toBe('raw');
  });
});

describe('chart columns', () => {
  it('breaks the line where samples are missing and marks bad quality', () => {
    const s: Sample[] = [
      ['2017-01-01T00:00:00Z', 1, 0],
      ['2017-01-01T00:05:00Z', 2, 0],
      ['2017-01-01T01:00:00Z', 3, 2],
      ['2017-01-01T01:05:00Z', null, 3],
    ];
    const c = rawColumns(s, 300);
    const t0 = Date.parse('2017-01-01T00:00:00Z') / 1000;
    expect(c.x).toEqual([t0, t0 + 300, t0 + 600, t0 + 3600, t0 + 3900]);
    expect(c.y).toEqual([1, 2, null, 3, null]);
    expect(c.bad).toEqual([null, null, null, 3, null]);
    expect(c.badCount).toBe(2);
    expect(c.gapAt).toEqual([t0 + 600]);
    // Without a stated interval the median spacing is expected.
    expect(rawColumns(s, null).y).toEqual([1, 2, null, 3, null]);
  });

  it('takes avg, min, max and coverage (percent) from buckets', () => {
    const c = aggregateColumns([
      { start: '2017-01-01T00:00:00-06:00', count: 12, coverage: 1, avg: 2, min: 1, max: 3 },
      { start: '2017-01-01T01:00:00-06:00', count: 0, coverage: 0, avg: null, min: null, max: null },
    ]);
    expect(c.x).toEqual([
      Date.parse('2017-01-01T06:00:00Z') / 1000,
      Date.parse('2017-01-01T07:00:00Z') / 1000,
    ]);
    expect(c.avg).toEqual([2, null]);
    expect(c.coverage).toEqual([100, 0]);
  });

  it('joins tables on the union of times, bridging alignment holes but keeping gaps', () => {
    const j = joinTables([
      { x: [1, 2, 3], ys: [[10, null, 30]] },
      { x: [2, 4], ys: [[20, 40]] },
    ]);
    expect(j.x).toEqual([1, 2, 3, 4]);
    expect(j.ys).toEqual([
      [10, null, 30, undefined],
      [undefined, 20, undefined, 40],
    ]);
  });

  it('writes what is shown as CSV in the site zone, as the API writes local CSV', () => {
    const t = Date.parse('2017-11-05T07:00:00Z') / 1000;
    expect(
      chartCsv(
        'America/Chicago',
        ['a, "b"', 'c'],
        [t - 3600, t],
        [
          [1, 1.5],
          [2, null],
        ],
      ),
    ).toBe(
      'time (America/Chicago),UTC offset (h),"a, ""b""",c\n2017-11-05 01:00:00,-5,1,2\n2017-11-05 01:00:00,-6,1.5,\n',
    );
  });

  it('asks the API for the file of what is shown, in the site’s time', () => {
    expect(exportPath([7], 'raw', 1000, 2000, 'xlsx')).toBe(
      '/api/v1/points/7/samples?from=1000&to=2000&format=xlsx&tz=site',
    );
    expect(exportPath([7], 'daily', 1000, 2000, 'csv')).toBe(
      '/api/v1/points/7/aggregate?from=1000&to=2000&format=csv&tz=site&interval=1d&fn=avg,min,max',
    );
    expect(exportPath([7, 8], 'hourly', 1000, 2000, 'xlsx')).toBe(
      '/api/v1/series?points=7,8&from=1000&to=2000&format=xlsx&tz=site&interval=1h&fn=avg',
    );
    expect(exportPath([7, 8], 'raw', 1000, 2000, 'csv')).toBeNull();
  });
});

describe('tree', () => {
  const p = (
    id: number,
    node: string,
    device: string,
    parameter: string,
    unit: string | null,
    kind: string | null,
  ) =>
    ({
      id,
      node,
      device,
      parameter,
      unit,
      kind,
      name: `${node}.${device}.${parameter}`,
      description: null,
    }) as PointInfo;
  const points = [
    p(1, 'EV', 'HX2', 'TEMP', 'degF', null),
    p(2, 'EV', 'AH1', 'FAN', null, 'state'),
    p(3, 'AB', 'M1', 'KW', 'kW', null),
  ];

  it('groups nodes, devices and parameters in name order', () => {
    expect(buildTree(points).map((n) => [n.node, n.devices.map((d) => d.device)])).toEqual([
      ['AB', ['M1']],
      ['EV', ['AH1', 'HX2']],
    ]);
  });

  it('searches by name, unit or kind', () => {
    expect(searchPoints(points, 'ev temp').map((x) => x.id)).toEqual([1]);
    expect(searchPoints(points, 'kw').map((x) => x.id)).toEqual([3]);
    expect(searchPoints(points, 'kind:state').map((x) => x.id)).toEqual([2]);
    expect(searchPoints(points, 'unit:degf').map((x) => x.id)).toEqual([1]);
    expect(searchPoints(points, '').length).toBe(3);
  });
});
