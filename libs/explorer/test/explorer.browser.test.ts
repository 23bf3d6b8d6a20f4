import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { startPrefectSim, startSecureSim } from '@ep/gateway-sim';
import { waitFor } from '@ep/testkit';
import { duration } from '../src/domain/time.js';
import { launchChromium, startStack, yearOfSamples, type Stack } from './stack.js';

// The explorer in headless Chromium against the real services: measurement-store, upload-ingest
// and query-api (serving the built app) as processes on a fresh database. Every number the
// page shows is checked against what the API answers for the same question.

jest.setTimeout(180_000);

const SITE = 'evans';
const TZ = 'America/Chicago';
const YEAR_POINT = 'PLANT.METER.KW';
const SIEMENS = new URL(
  '../../../services/upload-ingest/test/fixtures/evans-room-temp-and-valve.head300.csv',
  import.meta.url,
);
// Screenshots are taken on every run; EP_SCREENSHOTS_DIR=docs/explorer refreshes the committed ones.
const SHOTS = process.env.EP_SCREENSHOTS_DIR ?? `${process.env.TMPDIR ?? '/tmp'}/ep-explorer-screenshots`;

let stack: Stack;
let browser: Browser;
let page: Page;
let yearPointId: number;
let yearCount: number;

const shot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
const chart = () => page.evaluate(() => window.__ep.chart!);
/** Waits until the chart has drawn data of the given resolution for a range. */
async function drawn(resolution: string, spanMs?: number) {
  await page.waitForFunction(
    ([r, span]) => {
      const c = window.__ep.chart;
      return (
        c && c.resolution === r && c.draws > 0 && (span === null || Math.abs(c.to - c.from - span) < 120_000)
      );
    },
    [resolution, spanMs ?? null] as const,
    { timeout: 30_000 },
  );
  return chart();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack('explorer');
  expect(
    (await stack.call('PUT', `/api/v1/admin/sites/${SITE}`, { name: 'Evans Hall', timezone: TZ })).status,
  ).toBe(201);
  const year = yearOfSamples(YEAR_POINT, 2025);
  yearCount = year.count;
  await stack.upload('alc', SITE, 'plant-meter-2025.csv', year.text);
  const { json } = await stack.call('GET', `/api/v1/points?site=${SITE}&q=${encodeURIComponent(YEAR_POINT)}`);
  yearPointId = json.items[0].id;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('explorer in a browser', () => {
  it('serves the app at / without touching the API routes', async () => {
    const res = await fetch(`${stack.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<div id="banner"');
    expect((await fetch(`${stack.base}/api/v1/sites`)).status).toBe(401);
    expect((await fetch(`${stack.base}/healthz`)).status).toBe(200);
  });

  it('a wrong key stays at the prompt with the API’s message', async () => {
    const answer = await stack.call('GET', '/api/v1/sites', undefined, 'ep_wrong_key');
    expect(answer.status).toBe(401);
    await page.goto(`${stack.base}/`);
    await page.fill('#api-key', 'ep_wrong_key');
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('#key-error .error');
    expect(await page.textContent('#key-error')).toContain(answer.json.message);
    expect(page.url()).not.toContain('ep_wrong_key');
    await shot('key-prompt');
  });

  it('with a good key lists the sites', async () => {
    await page.fill('#api-key', stack.adminKey);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('ul.sites');
    expect(await page.textContent('ul.sites')).toContain('Evans Hall');
    expect(await page.evaluate(() => sessionStorage.getItem('ep.apiKey'))).toBe(stack.adminKey);
    await shot('sites');
  });

  it('uploads a Siemens file dropped on the page and shows its report', async () => {
    await page.goto(`${stack.base}/#/uploads`);
    await page.waitForSelector('#drop-zone');
    // A real export with one value garbled on line 171 (as a flaky export tool does): the row's
    // other values go in, that value is rejected with its line and reason.
    const lines = readFileSync(SIEMENS, 'utf8').split('\n');
    expect(lines[170]).toContain('"40.74"');
    lines[170] = lines[170]!.replace('"40.74"', '"4O.74"');
    const text = lines.join('\n');
    // A real drop event carrying the file, as a user dragging it from the desktop makes.
    const transfer = await page.evaluateHandle((content) => {
      const dt = new DataTransfer();
      dt.items.add(new File([content], 'evans-room-temp-and-valve.csv', { type: 'text/csv' }));
      return dt;
    }, text);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: transfer });
    await page.waitForSelector('#upload-report', { timeout: 60_000 });
    const { json } = await stack.call('GET', `/api/v1/uploads?site=${SITE}&limit=10`);
    const upload = json.items.find(
      (u: { filename: string }) => u.filename === 'evans-room-temp-and-valve.csv',
    );
    expect(upload.status).toBe('stored');
    expect(await page.textContent('#report-status')).toBe('stored');
    expect(await page.textContent('#report-points')).toBe(upload.counts.points.toLocaleString('en-US'));
    expect(await page.textContent('#report-samples')).toBe(upload.counts.samples.toLocaleString('en-US'));
    expect(await page.textContent('#report-rejected')).toBe(upload.counts.rejected.toLocaleString('en-US'));
    expect(upload.counts.rejected).toBeGreaterThanOrEqual(1);
    const first = upload.errors[0];
    expect(first.line).toBe(171);
    const row = await page.textContent('#upload-report table.issues tbody tr:first-child');
    expect(row).toContain('171');
    expect(row).toContain(first.reason);
    // The earlier uploads, with their status.
    await page.waitForSelector(`#uploads-table tr[data-upload="${upload.id}"]`);
    expect(await page.textContent(`#uploads-table tr[data-upload="${upload.id}"]`)).toContain('stored');
    expect(await page.textContent('#uploads-table')).toContain('plant-meter-2025.csv');
    await shot('uploads');
  });

  it('is usable from the keyboard: the drop zone opens the file chooser with Enter', async () => {
    // press() focuses the zone and presses Enter on it as one step, so a re-render of the list
    // beside it cannot take the focus away in between.
    await page.waitForSelector('#drop-zone');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.press('#drop-zone', 'Enter'),
    ]);
    expect(chooser.isMultiple()).toBe(false);
    // Every form control on the page has a label.
    const unlabelled = await page.$$eval('input, select, textarea', (els) =>
      els
        .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label'))
        .map((e) => e.id),
    );
    expect(unlabelled).toEqual([]);
  });

  it('shows upload-ingest’s message for a file it refuses', async () => {
    await page.setInputFiles('#upload-file', {
      name: 'notes.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('hello,world\n1,2\n'),
    });
    await page.waitForSelector('#upload-panel .error');
    const res = await fetch(`${stack.uploadBase}/upload/alc?site=${SITE}&filename=notes.csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'text/csv' },
      body: 'hello,world\n1,2\n',
    });
    const body = (await res.json()) as { message: string };
    expect(res.status).toBe(422);
    expect(await page.textContent('#upload-panel .error')).toContain(body.message);
  });

  it('finds a point in the tree by name, unit or kind, with its last value and age', async () => {
    await page.goto(`${stack.base}/#/sites/${SITE}`);
    await page.waitForSelector('#search');
    await page.fill('#search', 'meter kw');
    await page.waitForSelector(`tr[data-point="${yearPointId}"]`);
    const rows = await page.$$('.tree tbody tr');
    expect(rows).toHaveLength(1);
    const { json: p } = await stack.call('GET', `/api/v1/points/${yearPointId}`);
    const row = await page.textContent(`tr[data-point="${yearPointId}"]`);
    expect(row).toContain('KW');
    expect(row).toContain(String(p.lastValue));
    expect(row).toMatch(/ago/);
    // A Siemens point from the upload is found too, and the search narrows the tree.
    await page.fill('#search', 'rm102');
    await page.waitForFunction(
      () => !document.querySelector(`.tree tr[data-point]`)?.textContent?.includes('KW'),
    );
    const found = await page.$$eval('.tree tbody tr', (trs) =>
      trs.map((tr) => tr.closest('details')!.textContent!),
    );
    expect(found.length).toBeGreaterThan(0);
    for (const text of found) expect(text).toContain('RM102');
    await page.fill('#search', 'plant');
    await page.waitForSelector(`tr[data-point="${yearPointId}"]`);
    await shot('tree');
  });

  it('plots a point and draws exactly the samples the API has', async () => {
    await page.fill('#search', 'meter kw');
    await page.click(`tr[data-point="${yearPointId}"] th a`);
    const c = await drawn('raw');
    expect(c.tz).toBe(TZ);
    const { json } = await stack.call(
      'GET',
      `/api/v1/points/${yearPointId}/samples?from=${c.from}&to=${c.to}&limit=200000`,
    );
    const x = c.data[0]!;
    const y = c.data[1]!;
    expect(json.samples.length).toBeGreaterThan(1000);
    expect(x).toHaveLength(json.samples.length);
    expect(x.map((t) => (t as number) * 1000)).toEqual(json.samples.map((s: [string]) => Date.parse(s[0])));
    expect(y).toEqual(json.samples.map((s: [string, number]) => s[1]));
    expect(await page.textContent('#chart-status')).toContain(`times in ${TZ}`);
    await shot('plot-raw');
  });

  it('zooms from a year to a day and the resolution follows, with coverage and gaps', async () => {
    await page.click('button[data-range="Year"]');
    const year = await drawn('daily', 365 * 86_400_000);
    // Daily buckets with avg, min, max and coverage; the two-day hole is null (a gap), and its
    // coverage is 0.
    expect(year.labels).toEqual([
      `${YEAR_POINT} avg`,
      `${YEAR_POINT} min`,
      `${YEAR_POINT} max`,
      `${YEAR_POINT} coverage %`,
    ]);
    const agg = await stack.call(
      'GET',
      `/api/v1/points/${yearPointId}/aggregate?from=${year.from}&to=${year.to}&interval=1d&fn=avg,min,max&tz=${TZ}`,
    );
    expect(year.data[0]).toHaveLength(agg.json.buckets.length);
    expect(agg.json.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(yearCount);
    expect(year.data[1]).toEqual(agg.json.buckets.map((b: { avg: number | null }) => b.avg ?? null));
    const holeDay = agg.json.buckets.findIndex((b: { start: string }) => b.start.startsWith('2025-03-10'));
    expect(year.data[1]![holeDay]).toBeNull();
    expect(year.data[4]![holeDay]).toBe(0);
    expect(await page.textContent('#chart-summary')).toMatch(/coverage .*% on average/);
    await shot('plot-year');

    // A drag across a few pixels of the year: the chart asks for finer data by itself.
    const box = (await page.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.52, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => window.__ep.chart!.resolution !== 'daily');
    expect(['raw', 'hourly']).toContain((await chart()).resolution);

    await page.click('button[data-range="Day"]');
    const day = await drawn('raw', 86_400_000);
    const samples = day.data[1]!.filter((v) => v !== null);
    expect(samples.length).toBeGreaterThanOrEqual(287);
    expect(samples.length).toBeLessThanOrEqual(289);
  });

  it('shows missing data as a gap, not a line across it', async () => {
    await page.fill('#from', '2025-03-09T00:00');
    await page.fill('#to', '2025-03-13T00:00');
    await page.click('form[aria-label="time range"] button[type="submit"]');
    const c = await drawn('raw', Date.UTC(2025, 2, 13, 5) - Date.UTC(2025, 2, 9, 6));
    const nulls = c.data[1]!.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
    expect(nulls).toHaveLength(1);
    const at = c.data[0]![nulls[0]!] as number;
    expect(at * 1000).toBeGreaterThan(Date.parse('2025-03-09T23:50:00Z'));
    expect(at * 1000).toBeLessThan(Date.parse('2025-03-12T00:00:00Z'));
    await shot('plot-gap');
  });

  it('downloads what is shown as CSV or xlsx in the site’s time, from the API', async () => {
    const c = await chart();
    const shown = `/api/v1/points/${yearPointId}/samples?from=${c.from}&to=${c.to}`;
    const [download, asked] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => r.url().includes('format=csv')),
      page.click('#download-csv'),
    ]);
    expect(asked.url()).toBe(`${stack.base}${shown}&format=csv&tz=site`);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines[0]).toBe(`time (${TZ}),UTC offset (h),value,quality`);
    // Every drawn sample, without the null the chart inserted to break the line; the wall clock
    // Excel reads and the offset.
    expect(lines).toHaveLength(1 + c.data[0]!.length - 1);
    expect(lines[1]).toMatch(/^2025-03-09 00:00:00,-6,[\d.]+,0$/);
    expect(download.suggestedFilename()).toMatch(/^ep-\d+-raw-.*\.csv$/);

    const [xlsx, xlsxAsked] = await Promise.all([
      page.waitForEvent('download'),
      page.waitForRequest((r) => r.url().includes('format=xlsx')),
      page.click('#download-xlsx'),
    ]);
    expect(xlsxAsked.url()).toBe(`${stack.base}${shown}&format=xlsx&tz=site`);
    expect(xlsx.suggestedFilename()).toMatch(/^ep-\d+-raw-.*\.xlsx$/);
    // A zip (xlsx) file; its cells are checked in query-api's exports.int.test.ts.
    expect(
      readFileSync((await xlsx.path())!)
        .subarray(0, 2)
        .toString('latin1'),
    ).toBe('PK');
  });

  it('shows an API error in words', async () => {
    const answer = await stack.call('GET', '/api/v1/points/999999');
    expect(answer.status).toBe(404);
    await page.goto(`${stack.base}/#/plot?points=999999`);
    await page.waitForSelector('#view .error');
    expect(await page.textContent('#view .error')).toContain(answer.json.message);
  });

  it('test stands: status, power, last seen, packages plotted', async () => {
    const at = new Date().toISOString();
    const base = {
      v: 1 as const,
      stand: 'rig7',
      module: 'pump',
      direction: 'inbound' as const,
      topic: 'rig7/pump/Inbound',
      valid: true,
      errors: [],
    };
    await stack.publishTeststand({
      ...base,
      eventId: 'rig7-status-1',
      kind: 'status',
      receivedAt: at,
      msgType: 'status',
      statusCode: 600,
      raw: '{}',
    });
    await stack.publishTeststand({
      ...base,
      eventId: 'rig7-data-1',
      kind: 'data',
      receivedAt: at,
      msgType: 'data',
      parameters: { testId: 'T-42', flow: 12.5 },
      data: { pressure: [1.1, 1.4, 1.9, 2.2], temperature: [20, 21, 23, 24] },
      raw: '{}',
    });
    // Then silent: teststand-handler's liveness events for it, as it publishes them.
    for (const [kind, revision] of [
      ['online', 1],
      ['offline', 2],
    ] as const)
      await stack.publishTeststand({
        ...base,
        eventId: `liveness:${Buffer.from('rig7').toString('base64url')}:${kind}:${revision}`,
        module: '',
        kind,
        direction: 'platform',
        topic: '',
        receivedAt: at,
        raw: '',
      });
    await page.goto(`${stack.base}/#/teststands`);
    await page.waitForSelector('#stands');
    const { json } = await stack.call('GET', '/api/v1/teststands');
    const row = json.items.find((t: { stand: string }) => t.stand === 'rig7');
    expect(row.online).toBe(false);
    const text = await page.textContent('#stands tbody tr:has(a[href="#/teststands/rig7"])');
    expect(text).toContain('rig7');
    expect(text).toContain('offline (just now)');
    expect(text).toContain(row.powerCode === 600 ? 'on (600)' : String(row.statusCode ?? '—'));
    expect(text).toMatch(/just now|min ago/);
    await page.click('#stands a');
    await page.waitForSelector('details.package .u-over');
    expect(await page.textContent('details.package table.params')).toContain('T-42');
    await shot('teststand');
  });

  it('sends a command to a simulated stand and shows its reply', async () => {
    // teststand-handler and one simulated stand on this stack's NATS prefix, with a Mosquitto.
    const { received } = await stack.startTeststand('rig9');
    await page.goto(`${stack.base}/#/teststands/rig9`);
    await page.waitForSelector('#command-form');
    await page.selectOption('#command-module', 'demo_module');
    await page.fill('#command-name', 'start');
    await page.fill('#command-parameters', '{"wait": 1}');
    await page.click('#command-form button[type=submit]');
    await page.waitForSelector('#command-reply', { timeout: 30_000 });
    const status = await page.textContent('#command-status');
    expect(status).toContain('start → rig9/demo_module/Outbound');
    expect(status).toContain('answered');
    expect(await page.textContent('#command-reply')).toMatch(/Reply: status 202 at .+ \(message \d+\)/);
    // The stand got it as the protocol's JSON, and the page says what the API says.
    expect(received).toEqual([
      {
        stand: 'rig9',
        command: {
          protocolVersion: 1.1,
          sentBy: 'ep',
          msgType: 'command',
          statusCode: '200',
          commandList: ['start'],
          parameterObj: { wait: 1 },
        },
      },
    ]);
    const id = Number(/Command (\d+)/.exec(status ?? '')?.[1]);
    const { json: command } = await stack.call('GET', `/api/v1/teststands/rig9/commands/${id}`);
    expect(command).toMatchObject({
      state: 'answered',
      reply: { statusCode: 202 },
      requestedBy: 'bootstrap',
    });
    expect(await page.textContent('#command-reply')).toContain(`message ${command.reply.messageId})`);
    await shot('teststand-command');
    // The real handler heard rig9: its liveness says online, on the stands page too.
    await waitFor(
      async () =>
        (await stack.call('GET', '/api/v1/teststands')).json.items.find(
          (t: { stand: string }) => t.stand === 'rig9',
        )?.online === true || undefined,
      { what: 'rig9 online', timeoutMs: 30_000 },
    );
    await page.goto(`${stack.base}/#/teststands`);
    await page.waitForSelector('#stands');
    expect(await page.textContent('#stands tbody tr:has(a[href="#/teststands/rig9"])')).toContain('online');
    await shot('teststands');
    await page.goto(`${stack.base}/#/teststands/rig9`);
    await page.waitForSelector('#command-form');
    // The data package the stand sends after its wait shows on the stand's page.
    await waitFor(
      async () =>
        (await stack.call('GET', '/api/v1/teststands/rig9/messages?kind=data')).json.items.length > 0 ||
        undefined,
      { what: 'the data package stored' },
    );
    await page.reload();
    await page.waitForSelector('details.package table.params');
    const params = await page.$$eval('details.package[open] table.params tr', (rows) =>
      rows.map((r) => [r.querySelector('th')?.textContent, r.querySelector('td')?.textContent]),
    );
    expect(params).toContainEqual(['wait', '1']);
  });

  it('gateways: status, last success, lag and the last error in words, from a real poller', async () => {
    // The vendor clouds simulated (tools/gateway-sim), gateway-poller a real process: two
    // Prefect sites, one of them given a wrong token, and a Secure site.
    const clock = { start: new Date().toISOString(), rate: 1 }; // the clouds' time runs with ours
    const prefect = await startPrefectSim({ sites: ['BADOCK', 'GOLDNEY'], nodes: 3, seed: 5, clock });
    const secure = await startSecureSim({ sites: ['HIATT'], nodes: 2, seed: 5, clock: prefect.clock });
    const secrets = await mkdtemp(path.join(tmpdir(), 'ep-explorer-gw-'));
    try {
      const gateways = [
        {
          name: 'pf-badock',
          site: 'badock',
          vendor: 'prefect',
          url: prefect.url,
          secret: prefect.credentials['BADOCK'],
        },
        {
          name: 'pf-goldney',
          site: 'goldney',
          vendor: 'prefect',
          url: prefect.url,
          secret: { token: 'pf-wrong' },
        },
        {
          name: 'sec-hiatt',
          site: 'hiatt',
          vendor: 'secure',
          url: secure.url,
          secret: secure.credentials['HIATT'],
        },
      ];
      for (const g of gateways) {
        expect(
          (await stack.call('PUT', `/api/v1/admin/sites/${g.site}`, { timezone: 'Europe/London' })).status,
        ).toBe(201);
        const added = await stack.call('PUT', `/api/v1/admin/gateways/${g.name}`, {
          site: g.site,
          vendor: g.vendor,
          url: g.url,
          intervalSeconds: 15, // the poller polls at an offset inside each interval
          backfillDays: 0,
        });
        expect(added.status).toBe(201);
        await writeFile(path.join(secrets, g.name), JSON.stringify(g.secret), { mode: 0o600 });
      }
      await stack.startGatewayPoller(secrets, 'poller-1');
      // Each gateway polled once: the good ones with a success and a lag, the bad one with its error.
      const status = await waitFor(
        async () => {
          const { json } = await stack.call('GET', '/api/v1/gateways');
          const by = new Map<string, Record<string, any>>(json.map((g: { name: string }) => [g.name, g])); // eslint-disable-line @typescript-eslint/no-explicit-any
          const done =
            typeof by.get('pf-badock')?.lagSeconds === 'number' &&
            typeof by.get('sec-hiatt')?.lagSeconds === 'number' &&
            by.get('pf-goldney')?.lastError;
          return done ? by : undefined;
        },
        { what: 'each gateway polled', timeoutMs: 60_000 },
      );
      const bad = status.get('pf-goldney')!;
      expect(bad.lastError.kind).toBe('auth_refused');
      expect(bad.lastSuccessAt).toBeNull();

      await page.goto(`${stack.base}/#/gateways`);
      const readRows = async () => {
        await page.waitForSelector('#gateways');
        return page.$$eval('#gateways tbody tr', (trs) =>
          trs.map((tr) => ({
            name: tr.getAttribute('data-gateway'),
            state: tr.querySelector('.state')!.textContent,
            lastSuccess: tr.querySelector('.last-success')!.textContent,
            lag: tr.querySelector('.lag')!.textContent,
            lastError: tr.querySelector('.last-error')!.textContent,
            owner: tr.lastElementChild!.textContent,
          })),
        );
      };
      // The poller keeps polling every 15 s, so each lag moves: the page is read until it and
      // the API's answer just after it are of the same polls (a page that never shows the API's
      // lag times out here).
      let rows = await readRows();
      const lags = await waitFor(
        async () => {
          const { json } = await stack.call('GET', '/api/v1/gateways');
          const now = new Map<string, string>(
            json.map((g: { name: string; lagSeconds: number | null }) => [
              g.name,
              g.lagSeconds === null ? '—' : duration(g.lagSeconds),
            ]),
          );
          if (rows.every((r) => r.lag === now.get(r.name!))) return now;
          await page.reload();
          rows = await readRows();
          return undefined;
        },
        { what: 'the page showing the lags the API gives', timeoutMs: 60_000 },
      );
      const lag = (name: string) => lags.get(name);
      expect(rows).toEqual([
        {
          name: 'pf-badock',
          state: 'ok',
          lastSuccess: expect.stringMatching(/just now|min ago/),
          lag: lag('pf-badock'),
          lastError: '—',
          owner: 'poller-1',
        },
        {
          name: 'pf-goldney',
          state: 'failing: credentials refused',
          lastSuccess: 'never',
          lag: '—',
          lastError: expect.stringContaining(bad.lastError.message),
          owner: 'poller-1',
        },
        {
          name: 'sec-hiatt',
          state: 'ok',
          lastSuccess: expect.stringMatching(/just now|min ago/),
          lag: lag('sec-hiatt'),
          lastError: '—',
          owner: 'poller-1',
        },
      ]);
      expect(bad.lastError.message).toMatch(/credentials refused/);
      await shot('gateways');
    } finally {
      await prefect.close();
      await secure.close();
      await rm(secrets, { recursive: true, force: true });
    }
  });

  it('works at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${stack.base}/#/plot?points=${yearPointId}`);
    await drawn('raw');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot('phone-plot');
    for (const hash of [`#/sites/${SITE}`, '#/uploads', '#/teststands', '#/gateways']) {
      await page.goto(`${stack.base}/${hash}`);
      await page.waitForSelector('#view h1');
      await page.waitForFunction(
        () => !document.querySelector('#view p.muted')?.textContent?.startsWith('Loading'),
      );
      const wider = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ hash, wider }).toEqual({ hash, wider: 0 });
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('a revoked key sends the user back to the key prompt with the API’s message', async () => {
    const created = await stack.call('POST', '/api/v1/admin/keys', { name: 'short-lived', scopes: ['read'] });
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${stack.base}/#/`);
    await page.fill('#api-key', created.json.secret);
    await page.press('#api-key', 'Enter');
    await page.waitForSelector('ul.sites');
    await stack.call('DELETE', `/api/v1/admin/keys/${created.json.id}`);
    const answer = await stack.call('GET', '/api/v1/sites', undefined, created.json.secret);
    expect(answer.status).toBe(401);
    await page.goto(`${stack.base}/#/sites/${SITE}`);
    await page.waitForSelector('#key-error .error');
    expect(await page.textContent('#key-error')).toContain(answer.json.message);
    expect(await page.evaluate(() => sessionStorage.getItem('ep.apiKey'))).toBeNull();
  });
});
