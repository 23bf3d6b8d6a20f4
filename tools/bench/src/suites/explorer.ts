/**
 * Suite `explorer`: time from navigation to a drawn chart in headless Chromium (Debian's, driven
 * by playwright-core), against measurement-store, upload-ingest and query-api running as
 * processes on a fresh database holding one point with a year of 5-minute samples (105,120,
 * uploaded through upload-ingest as an ALC export).
 *
 * - navigation → a year of raw samples drawn (`res=raw`: 105,120 points in uPlot), next to the
 *   same JSON fetched and parsed by Node's fetch alone (what the page cannot do faster);
 * - navigation → the same year at the resolution the app picks (daily avg, min–max band and
 *   coverage), next to the same aggregate JSON fetched alone.
 *
 * Each time is from `page.goto` to the moment the page reports the chart drawn with all its rows
 * (window.__ep.chart), cold page each run (new context: no HTTP cache), p50 of the runs.
 * --quick: 3 runs each; full: 15.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { launchChromium, startStack, yearOfSamples } from '@ep/explorer/stack';
import type { Suite } from '../harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2026, 0, 1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sh(command: string, args: string[]): void {
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${run.stderr || run.stdout}`);
}

export const explorerSuite: Suite = {
  name: 'explorer',
  description:
    'browser: navigation → a drawn year of 5-minute samples (raw, and at the automatic resolution)',
  async run(ctx) {
    const runs = ctx.quick ? 3 : 15;
    sh('libs/explorer/scripts/ensure-chromium.sh', []);
    ctx.log('building the explorer (vite build)');
    sh('pnpm', ['--silent', '--filter', '@ep/explorer', 'build']);
    ctx.log('starting measurement-store, upload-ingest, query-api');
    const stack = await startStack('benchexplorer');
    const browser = await launchChromium();
    try {
      await stack.call('PUT', '/api/v1/admin/sites/bench', { name: 'Bench', timezone: 'America/Chicago' });
      const year = yearOfSamples('BENCH.METER.KW', 2025, { hole: false });
      ctx.log(`uploading ${year.count} samples`);
      await stack.upload('alc', 'bench', 'bench-year.csv', year.text);
      const id = (await stack.call('GET', '/api/v1/points?site=bench')).json.items[0].id as number;

      const timePage = async (hash: string, rows: number, resolution: string) => {
        const times: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          // The key the user would type once, already in the tab's session.
          await context.addInitScript(
            `sessionStorage.setItem('ep.apiKey', ${JSON.stringify(stack.adminKey)})`,
          );
          const page = await context.newPage();
          const t = performance.now();
          await page.goto(`${stack.base}/${hash}`);
          await page.waitForFunction(
            ([n, r]) => {
              // Runs in the page (whose CSP forbids string evaluation); no DOM types in this package.
              type Chart = { resolution: string; draws: number; data: unknown[][] };
              const c = (globalThis as unknown as { __ep?: { chart?: Chart } }).__ep?.chart;
              return !!c && c.resolution === r && c.draws > 0 && c.data[0]!.length >= n;
            },
            [rows, resolution] as const,
            { timeout: 120_000, polling: 5 },
          );
          if (i > 0) times.push(performance.now() - t); // the first run warms the server
          await context.close();
        }
        return median(times);
      };
      const timeFetch = async (path: string) => {
        const times: number[] = [];
        for (let i = 0; i <= runs; i++) {
          const t = performance.now();
          const res = await fetch(stack.base + path, {
            headers: { authorization: `Bearer ${stack.adminKey}` },
          });
          await res.json();
          if (i > 0) times.push(performance.now() - t);
        }
        return median(times);
      };

      const range = `from=${FROM}&to=${TO}`;
      ctx.log('a year of raw samples');
      const raw = await timePage(`#/plot?points=${id}&${range}&res=raw`, year.count, 'raw');
      const rawFetch = await timeFetch(`/api/v1/points/${id}/samples?${range}&limit=200000`);
      ctx.record({
        name: 'navigation → year of 5-min samples drawn (105,120 raw)',
        value: raw,
        unit: 'ms',
        baseline: rawFetch,
        higherIsBetter: false,
      });
      ctx.log('the same year at the automatic resolution');
      const auto = await timePage(`#/plot?points=${id}&${range}`, 365, 'daily');
      const autoFetch = await timeFetch(
        `/api/v1/points/${id}/aggregate?${range}&interval=1d&fn=avg,min,max&tz=America/Chicago`,
      );
      ctx.record({
        name: 'navigation → year drawn, automatic (daily + band)',
        value: auto,
        unit: 'ms',
        baseline: autoFetch,
        higherIsBetter: false,
      });
    } finally {
      await browser.close();
      await stack.close();
    }
  },
};
