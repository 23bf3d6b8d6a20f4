import uPlot from 'uplot';
import { api, ApiError, request } from '../api.js';
import { errorBox, fmtNumber, h, setView } from '../dom.js';
import { chartCsv, exportPath, type FileFormat } from '../domain/csv.js';
import {
  chooseResolution,
  intervalOf,
  type Resolution,
  type ResolutionChoice,
} from '../domain/resolution.js';
import {
  aggregateColumns,
  joinTables,
  rawColumns,
  type Bucket,
  type Cell,
  type Sample,
} from '../domain/series.js';
import { formatLocal, toLocalInput, tzOffsetMs, zonedToUtc } from '../domain/time.js';
import type { PointInfo } from '../domain/tree.js';
import type { Site } from './sites.js';

const DAY = 86_400_000;
const COLORS = ['#1f6feb', '#d9480f', '#2b8a3e', '#9c36b5', '#e67700', '#0b7285', '#c2255c', '#5c940d'];
const BAD = '#e03131';
/** Raw samples fetched per point at most (one page is 200,000; a year of 1-minute data is 525,600). */
const RAW_MAX = 1_000_000;

interface Drawn {
  resolution: Resolution;
  x: number[];
  ys: Cell[][];
  series: uPlot.Series[];
  bands: uPlot.Band[];
  labels: string[];
  gapAt: Set<number>;
  summary: string[];
}

const label = (p: PointInfo) => `${p.name}${p.unit ? ` [${p.unit}]` : ''}`;

function zoneText(tz: string, at: number): string {
  const off = tzOffsetMs(at, tz) / 60_000;
  const a = Math.abs(off);
  const utc = `UTC${off < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return `${tz} (${formatLocal(at, tz).split(' ').pop()}, ${utc})`;
}

async function rawSamples(id: number, from: number, to: number, signal: AbortSignal): Promise<Sample[]> {
  const out: Sample[] = [];
  let cursor: string | null = null;
  do {
    const page: { samples: Sample[]; nextCursor: string | null } = await api(
      `/api/v1/points/${id}/samples?from=${from}&to=${to}&limit=200000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { signal },
    );
    for (const s of page.samples) out.push(s);
    cursor = page.nextCursor;
  } while (cursor && out.length < RAW_MAX);
  return out;
}

async function fetchDrawn(
  points: PointInfo[],
  tz: string,
  from: number,
  to: number,
  resolution: Resolution,
  signal: AbortSignal,
): Promise<Drawn> {
  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  const labels: string[] = [];
  const summary: string[] = [];
  const gapAt = new Set<number>();
  if (resolution === 'raw') {
    const all = await Promise.all(points.map((p) => rawSamples(p.id, from, to, signal)));
    const tables = all.map((samples, i) => {
      const p = points[i]!;
      const c = rawColumns(samples, p.intervalSeconds);
      c.gapAt.forEach((g) => gapAt.add(g));
      const color = COLORS[i % COLORS.length]!;
      series.push(
        { label: label(p), stroke: color, width: 1.5, spanGaps: false },
        // Samples of bad quality (estimated, data loss, out of range) as red marks on the line.
        {
          label: `${p.name}: bad quality`,
          stroke: BAD,
          fill: BAD,
          paths: () => null,
          points: { show: true, size: 6, fill: BAD },
        },
      );
      labels.push(label(p), `${p.name} bad quality`);
      summary.push(
        `${p.name}: ${fmtNumber(samples.length)} samples${c.badCount ? `, ${fmtNumber(c.badCount)} of bad quality (red marks)` : ''}${c.gapAt.length ? `, ${c.gapAt.length} gap${c.gapAt.length === 1 ? '' : 's'}` : ''}`,
      );
      return { x: c.x, ys: [c.y, c.bad] };
    });
    const j = joinTables(tables);
    return { resolution, x: j.x, ys: j.ys, series, bands, labels, gapAt, summary };
  }
  const interval = intervalOf(resolution);
  const answers = await Promise.all(
    points.map((p) =>
      api<{ buckets: Bucket[]; source: string; intervalSource: string | null }>(
        `/api/v1/points/${p.id}/aggregate?from=${from}&to=${to}&interval=${interval}&fn=avg,min,max&tz=${encodeURIComponent(tz)}`,
        { signal },
      ),
    ),
  );
  const tables = answers.map((a, i) => {
    const p = points[i]!;
    const c = aggregateColumns(a.buckets);
    const color = COLORS[i % COLORS.length]!;
    const base = series.length;
    series.push(
      { label: `${label(p)} avg`, stroke: color, width: 1.5, spanGaps: false },
      { label: `${p.name} min`, stroke: `${color}66`, width: 0.5, spanGaps: false },
      { label: `${p.name} max`, stroke: `${color}66`, width: 0.5, spanGaps: false },
      {
        label: `${p.name} coverage %`,
        stroke: '#868e96',
        width: 1,
        dash: [4, 4],
        scale: '%',
        spanGaps: false,
      },
    );
    bands.push({ series: [base + 2, base + 1], fill: `${color}26` });
    labels.push(`${label(p)} avg`, `${p.name} min`, `${p.name} max`, `${p.name} coverage %`);
    const cov = c.coverage.filter((v): v is number => v !== null);
    const mean = cov.length ? cov.reduce((s, v) => s + v, 0) / cov.length : null;
    summary.push(
      `${p.name}: ${c.x.length} ${resolution === 'hourly' ? 'hourly' : 'daily'} buckets, coverage ${mean === null ? 'unknown (no interval)' : `${mean.toFixed(1)}% on average, lowest ${Math.min(...cov).toFixed(1)}%`}${a.intervalSource === 'inferred' ? ' (interval inferred)' : ''}`,
    );
    return { x: c.x, ys: [c.avg, c.min, c.max, c.coverage] };
  });
  const j = joinTables(tables);
  return { resolution, x: j.x, ys: j.ys, series, bands, labels, gapAt, summary };
}

function download(name: string, file: Blob): void {
  const url = URL.createObjectURL(file);
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function plotView(params: URLSearchParams): Promise<void> {
  const ids = (params.get('points') ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
  setView(h('h1', {}, 'Plot'), h('p', { class: 'muted' }, 'Loading points…'));
  if (ids.length === 0) {
    setView(
      h('h1', {}, 'Plot'),
      h('p', {}, 'No point chosen: pick points in a site’s tree.'),
      h('a', { href: '#/' }, 'Sites'),
    );
    return;
  }
  let points: PointInfo[];
  let site: Site;
  try {
    points = await Promise.all(ids.map((id) => api<PointInfo>(`/api/v1/points/${id}`)));
    site = await api<Site>(`/api/v1/sites/${encodeURIComponent(points[0]!.site)}`);
  } catch (err) {
    setView(h('h1', {}, 'Plot'), errorBox(err));
    return;
  }
  const tz = site.timezone;
  const lasts = points.map((p) => (p.lastTs ? Date.parse(p.lastTs) : NaN)).filter(Number.isFinite);
  const firsts = points.map((p) => (p.firstTs ? Date.parse(p.firstTs) : NaN)).filter(Number.isFinite);
  const dataEnd = lasts.length ? Math.max(...lasts) + 1000 : Date.now();
  const dataStart = firsts.length ? Math.min(...firsts) : dataEnd - 7 * DAY;
  let to = Number(params.get('to')) || dataEnd;
  let from = Number(params.get('from')) || Math.max(dataStart, to - 7 * DAY);
  let choice = (params.get('res') as ResolutionChoice | null) ?? 'auto';

  const fromInput = h('input', { id: 'from', type: 'datetime-local', required: true });
  const toInput = h('input', { id: 'to', type: 'datetime-local', required: true });
  const resSelect = h(
    'select',
    { id: 'resolution' },
    (['auto', 'raw', 'hourly', 'daily'] as const).map((r) =>
      h('option', { value: r, selected: r === choice }, r === 'auto' ? 'automatic' : r),
    ),
  );
  const status = h('p', { id: 'chart-status', 'aria-live': 'polite' });
  const summary = h('ul', { id: 'chart-summary', class: 'muted' });
  const error = h('div', { id: 'chart-error' });
  const chartBox = h('div', {
    id: 'chart',
    class: 'chart',
    role: 'img',
    'aria-label': `chart of ${points.map((p) => p.name).join(', ')}`,
  });
  const csvButton = h('button', { type: 'button', id: 'download-csv', disabled: true }, 'Download CSV');
  const xlsxButton = h('button', { type: 'button', id: 'download-xlsx', disabled: true }, 'Download xlsx');

  const form = h(
    'form',
    { class: 'toolbar', 'aria-label': 'time range' },
    h('label', { for: 'from' }, `From (${tz})`),
    fromInput,
    h('label', { for: 'to' }, `To (${tz})`),
    toInput,
    h('button', { type: 'submit' }, 'Show'),
    h('label', { for: 'resolution' }, 'Resolution'),
    resSelect,
  );
  const preset = (text: string, fn: () => [number, number]) =>
    h('button', { type: 'button', 'data-range': text, onclick: () => setRange(...fn()) }, text);
  const presets = h(
    'div',
    { class: 'toolbar', role: 'group', 'aria-label': 'zoom' },
    preset('Day', () => [to - DAY, to]),
    preset('Week', () => [to - 7 * DAY, to]),
    preset('Month', () => [to - 30 * DAY, to]),
    preset('Year', () => [to - 365 * DAY, to]),
    preset('All', () => [dataStart, dataEnd]),
    preset('Zoom out', () => [from - 1.5 * (to - from), to + 1.5 * (to - from)]),
    preset('← Earlier', () => [from - (to - from) / 2, to - (to - from) / 2]),
    preset('Later →', () => [from + (to - from) / 2, to + (to - from) / 2]),
    csvButton,
    xlsxButton,
  );

  setView(
    h(
      'h1',
      {},
      points.length === 1 ? points[0]!.name : `${points.length} points`,
      h('span', { class: 'muted' }, ` · ${site.name}`),
    ),
    form,
    presets,
    status,
    error,
    chartBox,
    summary,
    h(
      'p',
      { class: 'muted' },
      'Drag across the chart to zoom in. Close up it shows raw samples; further out hourly or daily averages with their min–max band and coverage.',
    ),
  );

  let plot: uPlot | null = null;
  let drawn: Drawn | null = null;
  let controller: AbortController | null = null;
  const state: EpChartState = { data: [], labels: [], resolution: 'raw', from, to, tz, draws: 0 };

  function setRange(a: number, b: number): void {
    from = Math.round(Math.min(a, b));
    to = Math.round(Math.max(a, b));
    void load();
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    try {
      setRange(zonedToUtc(fromInput.value, tz), zonedToUtc(toInput.value, tz));
    } catch (err) {
      error.replaceChildren(errorBox(err));
    }
  });
  resSelect.addEventListener('change', () => {
    choice = resSelect.value as ResolutionChoice;
    void load();
  });
  // What is shown, in the site's time: the API's file where there is one (exportPath), else the
  // CSV of the drawn columns (several points' raw samples).
  async function downloadShown(format: FileFormat): Promise<void> {
    if (!drawn) return;
    // The range drawn (state), not one being loaded.
    const stamp = (ms: number) => toLocalInput(ms, tz).replace(/[-:]/g, '');
    const name = `ep-${ids.join('-')}-${drawn.resolution}-${stamp(state.from)}-${stamp(state.to)}.${format}`;
    const path = exportPath(ids, drawn.resolution, state.from, state.to, format);
    if (path) {
      download(name, await (await request(path)).blob());
      return;
    }
    const keep = drawn.x.map(
      (x, i) => !drawn!.gapAt.has(x) || drawn!.ys.some((c) => c[i] !== null && c[i] !== undefined),
    );
    const x = drawn.x.filter((_, i) => keep[i]);
    const ys = drawn.ys.map((c) => c.filter((_, i) => keep[i]));
    download(name, new Blob([chartCsv(tz, drawn.labels, x, ys)], { type: 'text/csv;charset=utf-8' }));
  }
  const onDownload = (format: FileFormat) => () =>
    void downloadShown(format).catch((err: unknown) => error.replaceChildren(errorBox(err)));
  csvButton.addEventListener('click', onDownload('csv'));
  xlsxButton.addEventListener('click', onDownload('xlsx'));

  const width = () => Math.max(280, chartBox.clientWidth || window.innerWidth - 32);
  const height = () => Math.max(220, Math.min(480, Math.round(window.innerHeight * 0.5)));
  new ResizeObserver(() => plot?.setSize({ width: width(), height: height() })).observe(chartBox);

  async function load(): Promise<void> {
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const resolution = chooseResolution(
      to - from,
      points.map((p) => p.intervalSeconds),
      choice,
    );
    fromInput.value = toLocalInput(from, tz);
    toInput.value = toLocalInput(to, tz);
    history.replaceState(
      null,
      '',
      `#/plot?points=${ids.join(',')}&from=${from}&to=${to}${choice === 'auto' ? '' : `&res=${choice}`}`,
    );
    status.textContent = `Loading ${resolution === 'raw' ? 'raw samples' : `${resolution} aggregates`}…`;
    error.replaceChildren();
    try {
      const d = await fetchDrawn(points, tz, from, to, resolution, signal);
      if (signal.aborted) return;
      drawn = d;
      const data = [d.x, ...d.ys] as uPlot.AlignedData;
      plot?.destroy();
      plot = new uPlot(
        {
          width: width(),
          height: height(),
          series: d.series,
          bands: d.bands,
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
          scales: { x: { time: true, range: () => [from / 1000, to / 1000] }, '%': { range: [0, 110] } },
          axes: [
            {},
            { label: [...new Set(points.map((p) => p.unit).filter(Boolean))].join(', ') || undefined },
            ...(resolution === 'raw'
              ? []
              : [{ scale: '%', side: 1, grid: { show: false }, label: 'coverage %' } as uPlot.Axis]),
          ],
          cursor: { drag: { x: true, y: false, setScale: false } },
          hooks: {
            setSelect: [
              (u) => {
                if (u.select.width < 5) return;
                const a = u.posToVal(u.select.left, 'x') * 1000;
                const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
                u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
                setRange(a, b);
              },
            ],
            draw: [
              () => {
                state.draws += 1;
              },
            ],
          },
        },
        data,
        chartBox,
      );
      Object.assign(state, {
        data: data as EpChartState['data'],
        labels: d.labels,
        resolution,
        from,
        to,
        tz,
      });
      window.__ep.chart = state;
      chartBox.dataset.resolution = resolution;
      csvButton.disabled = false;
      xlsxButton.disabled = exportPath(ids, resolution, from, to, 'xlsx') === null;
      xlsxButton.title = xlsxButton.disabled
        ? 'xlsx of raw samples is per point: show one point, or hourly or daily data'
        : '';
      const what =
        resolution === 'raw'
          ? 'Raw samples'
          : `${resolution === 'hourly' ? 'Hourly' : 'Daily'} averages with min–max band`;
      status.textContent = `${what} (${choice === 'auto' ? 'chosen for this range' : 'as chosen'}) · ${formatLocal(from, tz)} – ${formatLocal(to, tz)} · times in ${zoneText(tz, to)}`;
      summary.replaceChildren(...d.summary.map((s) => h('li', {}, s)));
      if (d.x.length === 0) summary.append(h('li', {}, 'No data in this range.'));
    } catch (err) {
      if (signal.aborted || (err as Error).name === 'AbortError') return;
      status.textContent = '';
      error.replaceChildren(
        errorBox(err, err instanceof ApiError ? `The API answered ${err.status}` : 'Could not draw'),
      );
    }
  }
  await load();
}
