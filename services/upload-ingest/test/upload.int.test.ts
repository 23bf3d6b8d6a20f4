import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { natsNames } from '@ep/contracts';
import { silentLogger } from '@ep/logger';
import { connectNats } from '@ep/nats';
import { infraUrls } from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { sql } from 'kysely';
import { fixture, multipart, TEST_SAMPLES_PER_BATCH, uploadTestEnv } from './support.js';

// HTTP → NATS → measurement-store (in process) → PostgreSQL, all real. Expected values are read
// off the fixture files by hand; America/Chicago is UTC-6 in December, UTC-5 in August.

type Env = Awaited<ReturnType<typeof uploadTestEnv>>;
let env: Env;
let key: string; // upload:siemens, upload:alc, read
let readKey: string;
let otherSiteKey: string; // bound to another site

const MAX_BYTES = 400_000;
// The integration project's testTimeout is not applied when jest runs one project; whole-path tests need more than 5 s.
jest.setTimeout(60_000);

beforeAll(async () => {
  env = await uploadTestEnv('upload', { maxBytes: MAX_BYTES });
  await env.addSite('carleton', 'America/Chicago');
  await env.addSite('olaf', 'America/Chicago');
  key = await env.addKey('scheduler', ['upload:siemens', 'upload:alc', 'read']);
  readKey = await env.addKey('dashboard', ['read']);
  otherSiteKey = await env.addKey('olaf-script', ['upload:siemens', 'read'], 'olaf');
});

afterAll(async () => {
  await env?.close();
});

interface Report {
  uploadId: string;
  format: string;
  site: string;
  status: string;
  points: number;
  samples: number;
  rejected: number;
  errors: { line: number; column: number | null; reason: string }[];
  duplicate?: boolean;
  href: string;
}

async function post(
  path: string,
  body: FormData | string | Buffer | undefined,
  init: { key?: string | null; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  const k = init.key === undefined ? key : init.key;
  if (k) headers.authorization = `Bearer ${k}`;
  if (init.type) headers['content-type'] = init.type;
  const res = await fetch(`${env.base}${path}`, { method: 'POST', headers, body });
  return {
    status: res.status,
    body: (await res.json()) as Report & { message: string; details?: { line?: number; message: string }[] },
  };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

const measurement = (name: string, ts: string) =>
  sql<{ value: number | null; quality: number }>`
    SELECT m.value, m.quality FROM measurements m JOIN points p ON p.id = m.point_id
    WHERE p.name = ${name} AND m.ts = ${ts}::timestamptz`;

async function value(name: string, ts: string) {
  const { rows } = await measurement(name, ts).execute(env.db);
  return rows;
}

describe('uploads through the whole path', () => {
  let firstId: string;

  it('ingests the CR-only, BOM, unquoted report sent as multipart, as the legacy script does', async () => {
    const res = await post(
      '/upload/siemens?site=carleton',
      multipart(fixture('evans-trend-report-cr-bom.csv'), 'evans.csv'),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      format: 'siemens-trend',
      site: 'carleton',
      points: 7,
      samples: 35,
      rejected: 0,
      errors: [],
      href: `/api/v1/uploads/${res.body.uploadId}`,
    });
    firstId = res.body.uploadId;
    await env.waitStored(firstId);
    expect(await value('CMC.328.RT', '2017-12-27T06:00:00Z')).toEqual([{ value: 25, quality: 0 }]);
    expect(await value('EV.RM107.SP', '2018-01-01T07:30:00Z')).toEqual([{ value: 18.57, quality: 0 }]);
    expect(await value('EV.RM102.V', '2018-01-02T09:30:00Z')).toEqual([{ value: null, quality: 3 }]);
    expect(await value('CMC.328.SP', '2017-12-27T06:15:00Z')).toEqual([{ value: 1, quality: 0 }]);
    const { rows } = await sql<{
      node: string;
      device: string;
      parameter: string;
      kind: string;
      states: unknown;
    }>`
      SELECT node, device, parameter, kind, states FROM points WHERE name = 'CMC.328.SP'`.execute(env.db);
    expect(rows).toEqual([
      { node: 'CMC', device: '328', parameter: 'SP', kind: 'state', states: { '1': 'ON' } },
    ]);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM measurements`)).toBe(35);
    const raw = await sql<{ raw: Buffer }>`SELECT raw FROM uploads WHERE id = ${firstId}`.execute(env.db);
    expect(raw.rows[0]!.raw.equals(fixture('evans-trend-report-cr-bom.csv'))).toBe(true);
  });

  it('answers the same file again with the first upload and stores nothing new', async () => {
    const res = await post(
      '/upload/siemens?site=carleton',
      multipart(fixture('evans-trend-report-cr-bom.csv'), 'evans.csv'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ uploadId: firstId, duplicate: true, status: 'stored', samples: 35 });
    expect(await env.count(sql`SELECT count(*)::int AS n FROM uploads`)).toBe(1);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM batches`)).toBe(1);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM measurements`)).toBe(35);
  });

  it('takes a corrected file of the same name as a new upload whose values replace the old', async () => {
    const corrected = fixture('evans-trend-report-cr-bom.csv')
      .toString('utf8')
      .replace('12/27/2017,0:00:00,25,', '12/27/2017,0:00:00,26.5,');
    const res = await post('/upload/siemens?site=carleton', multipart(corrected, 'evans.csv'));
    expect(res.status).toBe(202);
    expect(res.body.uploadId).not.toBe(firstId);
    await env.waitStored(res.body.uploadId);
    expect(await value('CMC.328.RT', '2017-12-27T06:00:00Z')).toEqual([{ value: 26.5, quality: 0 }]);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM measurements`)).toBe(35);
  });

  it('ingests the quoted CRLF report with Error: points, as a raw text/csv body', async () => {
    const res = await post(
      '/upload/siemens?site=carleton&filename=reccntr.csv',
      fixture('reccntr-audit-trend-report.head300.csv'),
      {
        type: 'text/csv',
      },
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ points: 57, samples: 57 * 235, rejected: 2 });
    expect(res.body.errors.map((e) => [e.line, e.column])).toEqual([
      [26, 4],
      [60, 4],
    ]);
    expect(res.body.errors[0]!.reason).toContain('RECCNTR.AH3.MAD');
    const stored = await env.waitStored(res.body.uploadId);
    expect(stored.progress).toMatchObject({ samplesStored: 13395, fraction: 1 });
    expect(await value('RECCNTR.CHW.GPM', '2017-08-18T05:00:00Z')).toEqual([{ value: -0.37, quality: 0 }]);
    expect(await value('RECCNTR.AH3.SVF', '2017-08-18T05:00:00Z')).toEqual([{ value: null, quality: 3 }]);
    expect(await value('RECCNTR.AH1.CCV', '2017-08-20T15:30:00Z')).toEqual([{ value: 0, quality: 0 }]);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM points WHERE name = 'RECCNTR.AH3.MAD'`)).toBe(
      0,
    );
  });

  it('ingests the 162-point report with a state column and one-segment names', async () => {
    const res = await post(
      '/upload/siemens?site=carleton',
      multipart(fixture('evans-room-temp-and-valve.head300.csv'), 'evans-room.csv'),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ points: 162, samples: 162 * 132, rejected: 0 });
    await env.waitStored(res.body.uploadId);
    expect(await value('OATEMP', '2017-12-27T14:45:00Z')).toEqual([{ value: -4.92, quality: 0 }]);
    expect(await value('BIGOAT', '2017-12-26T06:00:00Z')).toEqual([{ value: null, quality: 3 }]);
    const { rows } = await sql`SELECT node, device, parameter FROM points WHERE name = 'BIGOAT'`.execute(
      env.db,
    );
    expect(rows).toEqual([{ node: 'BIGOAT', device: '', parameter: 'BIGOAT' }]);
  });

  it("keeps the report's 15-minute interval as the points' expected interval, so complete hours have full coverage", async () => {
    // Stored by the test above. The trend definitions say "5 minutes"; the report lists a value
    // every 15 (Time Interval:,15 Minutes): coverage counts against the latter.
    const { rows } = await sql<{ interval_seconds: number; trend: number; n: number }>`
      SELECT p.interval_seconds, (p.meta->>'trendIntervalSeconds')::int AS trend, count(*)::int AS n
      FROM points p JOIN measurements m ON m.point_id = p.id
      WHERE p.name = 'EV.CUH2.V' AND m.ts >= '2017-12-26T06:00:00Z' AND m.ts < '2017-12-26T07:00:00Z'
      GROUP BY p.interval_seconds, p.meta`.execute(env.db);
    expect(rows).toEqual([{ interval_seconds: 900, trend: 300, n: 4 }]);
    // query-api's coverage of the hour: samples / (3600 s / interval) = 1.
    expect((rows[0]!.n * rows[0]!.interval_seconds) / 3600).toBe(1);
  });

  it('sets units, descriptors and state labels from a point definition report', async () => {
    const res = await post(
      '/upload/siemens?site=carleton',
      multipart(fixture('point-definition-report.csv'), 'points.csv'),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      format: 'siemens-point-definition',
      points: 59,
      samples: 0,
      rejected: 0,
    });
    await env.waitStored(res.body.uploadId);
    const { rows } = await sql<{
      name: string;
      unit: string | null;
      description: string | null;
      states: unknown;
    }>`
      SELECT name, unit, description, states FROM points WHERE name IN ('TEMPRY', 'TEST_CT') ORDER BY name`.execute(
      env.db,
    );
    expect(rows).toEqual([
      { name: 'TEMPRY', unit: 'DEG F', description: 'THIS IS TEMP', states: null },
      { name: 'TEST_CT', unit: null, description: null, states: { '0': 'OFF', '1': 'ON' } },
    ]);
  });

  it('reads the WebCTRL point list at /upload/alc and lists the repeated rows', async () => {
    const res = await post(
      '/upload/alc?site=carleton',
      multipart(fixture('point-list-export.csv'), 'points.csv'),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ format: 'alc-point-list', points: 52, samples: 0, rejected: 5 });
    await env.waitStored(res.body.uploadId);
    const { rows } =
      await sql`SELECT node, device, parameter, meta FROM points WHERE source = 'alc' AND parameter = 'FACX-UH1.RMT'`.execute(
        env.db,
      );
    expect(rows).toEqual([
      {
        node: 'Carleton College/Faculty Club & Annex/Facility Summary',
        device: 'FACX-UH1',
        parameter: 'FACX-UH1.RMT',
        meta: { Type: 'BAI', 'Offset / Polarity': '0', 'Exp:Num': '0:6', 'I/O Type': 'Thermistor' },
      },
    ]);
  });

  it('keeps every complete row of a truncated file and lists the cut one', async () => {
    const whole = fixture('reccntr-audit-trend-report.head300.csv');
    const cut = whole.subarray(0, whole.length - 100); // inside the last row
    const res = await post('/upload/siemens?site=olaf', cut, { type: 'text/csv', key });
    expect(res.status).toBe(202);
    expect(res.body.samples).toBe(57 * 234);
    expect(res.body.errors.at(-1)).toMatchObject({ line: 300, reason: expect.stringContaining('cut off') });
  });

  it('keeps a record of every upload, and answers each with where query-api serves it', async () => {
    // The list itself is query-api's (GET /api/v1/uploads); these are the records it reads.
    const { rows } = await sql<{ id: string; format: string }>`
      SELECT id, format FROM uploads ORDER BY received_at DESC, id DESC`.execute(env.db);
    expect(rows.map((u) => u.format).slice(0, 2)).toEqual(['siemens-trend', 'alc-point-list']);
    expect(rows).toHaveLength(7);
    expect(rows.at(-1)!.id).toBe(firstId);
    const res = await fetch(`${env.base}/upload/siemens?site=carleton`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: multipart(fixture('evans-trend-report-cr-bom.csv'), 'evans.csv'),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('location')).toBe(`/api/v1/uploads/${firstId}`);
    expect(((await res.json()) as { href: string }).href).toBe(`/api/v1/uploads/${firstId}`);
  });

  it('ingests UTF-16 text as Excel saves it ("Unicode text": tab-separated; "CSV UTF-16"), LE and BE', async () => {
    // The same report as the first test, with one value changed so it is a new file each time.
    const text = fixture('evans-trend-report-cr-bom.csv')
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .replace('1/1/2018,1:30:00,20,', '1/1/2018,1:30:00,21,');
    const le = (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')]);
    const be = (t: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(t, 'utf16le').swap16()]);
    const unicodeText = await post(
      '/upload/siemens?site=olaf',
      multipart(le(text.replaceAll(',', '\t')), 'evans.txt'),
    );
    expect([unicodeText.status, unicodeText.body]).toEqual([
      202,
      expect.objectContaining({ format: 'siemens-trend', points: 7, samples: 35, rejected: 0 }),
    ]);
    await env.waitStored(unicodeText.body.uploadId);
    const olaf = sql<{ value: number }>`
      SELECT m.value FROM measurements m JOIN points p ON p.id = m.point_id JOIN sites s ON s.id = p.site_id
      WHERE s.key = 'olaf' AND p.name = 'CMC.328.RT' AND m.ts = '2018-01-01T07:30:00Z'`;
    expect((await olaf.execute(env.db)).rows).toEqual([{ value: 21 }]);
    const bigEndian = await post(
      '/upload/siemens?site=olaf&filename=evans.csv',
      be(text.replace('1/1/2018,1:30:00,21,', '1/1/2018,1:30:00,22,')),
      { type: 'text/csv' },
    );
    expect([bigEndian.status, bigEndian.body.samples, bigEndian.body.rejected]).toEqual([202, 35, 0]);
    await env.waitStored(bigEndian.body.uploadId);
    expect((await olaf.execute(env.db)).rows).toEqual([{ value: 22 }]);
  });
});

describe('bad input: each answer names the problem', () => {
  it('401 without a key or with an unknown one, 403 without the scope or for another site', async () => {
    const body = () => multipart(fixture('evans-trend-report-cr-bom.csv'), 'x.csv');
    const none = await post('/upload/siemens?site=carleton', body(), { key: null });
    expect([none.status, none.body.message]).toEqual([
      401,
      expect.stringContaining('missing Authorization header'),
    ]);
    const wrong = await post('/upload/siemens?site=carleton', body(), {
      key: 'ep_aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
    });
    expect([wrong.status, wrong.body.message]).toEqual([401, 'unknown API key']);
    const reader = await post('/upload/siemens?site=carleton', body(), { key: readKey });
    expect([reader.status, reader.body.message]).toEqual([
      403,
      'API key "dashboard" lacks scope upload:siemens',
    ]);
    const bound = await post('/upload/siemens?site=carleton', body(), { key: otherSiteKey });
    expect([bound.status, bound.body.message]).toEqual([
      403,
      'API key "olaf-script" is bound to site olaf, not carleton',
    ]);
  });

  it("400 without a site, 404 for an unknown one saying how to add it; a bound key's site is the default", async () => {
    const missing = await post('/upload/siemens', multipart('x', 'x.csv'));
    expect([missing.status, missing.body.message]).toEqual([400, expect.stringContaining('?site=')]);
    const unknown = await post('/upload/siemens?site=nowhere', multipart('x', 'x.csv'));
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('pnpm ep sites add nowhere --tz');
    const bound = await post(
      '/upload/siemens',
      multipart(fixture('evans-trend-report-cr-bom.csv'), 'x.csv'),
      { key: otherSiteKey },
    );
    expect([bound.status, bound.body.site]).toEqual([202, 'olaf']);
  });

  it('400 for an empty body, an empty file or a form without a file', async () => {
    const raw = await post('/upload/siemens?site=carleton', '', { type: 'text/csv' });
    expect([raw.status, raw.body.message]).toEqual([400, expect.stringMatching(/empty/)]);
    const noBody = await post('/upload/siemens?site=carleton', undefined);
    expect([noBody.status, noBody.body.message]).toEqual([400, expect.stringMatching(/empty body/)]);
    const emptyFile = await post('/upload/siemens?site=carleton', multipart('', 'x.csv'));
    expect([emptyFile.status, emptyFile.body.message]).toEqual([400, 'the file is empty (0 bytes)']);
    const form = new FormData();
    form.append('note', 'no file here');
    const noFile = await post('/upload/siemens?site=carleton', form);
    expect([noFile.status, noFile.body.message]).toEqual([400, expect.stringContaining('field "file"')]);
  });

  it('400 naming the field "file" for a file sent under another field name, which is not ingested', async () => {
    const file = Buffer.concat([fixture('evans-trend-report-cr-bom.csv'), Buffer.from('\r\n\r\n\r\n')]);
    const res = await post('/upload/siemens?site=carleton', multipart(file, 'x.csv', 'upload'));
    expect([res.status, res.body.message]).toEqual([
      400,
      'multipart field "upload" is not read; send the file in the field "file"',
    ]);
    expect(await env.count(sql`SELECT count(*)::int AS n FROM uploads WHERE sha256 = ${sha256(file)}`)).toBe(
      0,
    );
  });

  it('415 for binary garbage, 422 for an unknown or misplaced format, both naming what is accepted', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const bin = await post('/upload/siemens?site=carleton', multipart(garbage, 'x.csv'));
    expect(bin.status).toBe(415);
    expect(bin.body.message).toMatch(/not CSV text.*siemens-trend.*siemens-point-definition/);
    const json = await post('/upload/siemens?site=carleton', '{"a":1}', { type: 'application/json' });
    expect([json.status, json.body.message]).toEqual([
      415,
      expect.stringMatching(/text\/csv, not application\/json$/),
    ]);
    const unknown = await post('/upload/alc?site=carleton', 'name,age\nbob,3\n', { type: 'text/csv' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.message).toMatch(/not recognised.*alc-wide.*alc-long.*alc-point-list/);
    const misplaced = await post(
      '/upload/siemens?site=carleton',
      multipart(fixture('point-list-export.csv'), 'x.csv'),
    );
    expect(misplaced.status).toBe(422);
    expect(misplaced.body.message).toContain('send it to /upload/alc');

    // Each refused file is on record as a failed upload with its reason and its bytes.
    const refused = await sql<{
      id: string;
      status: string;
      format: string | null;
      errors: unknown;
      raw: Buffer;
    }>`
      SELECT id, status, format, errors, raw FROM uploads WHERE sha256 = ${sha256(garbage)}`.execute(env.db);
    expect(refused.rows).toEqual([
      {
        id: expect.stringMatching(/^u_/),
        status: 'failed',
        format: null,
        errors: [{ line: 1, column: null, reason: expect.stringContaining('not CSV text') }],
        raw: garbage,
      },
    ]);
    expect(bin.body.message).toContain(`(upload ${refused.rows[0]!.id})`);
    // Sent again: refused again, naming the first record and its reason; still one record each.
    const binAgain = await post('/upload/siemens?site=carleton', multipart(garbage, 'x.csv'));
    expect([binAgain.status, binAgain.body.message]).toEqual([415, bin.body.message]);
    expect(bin.body.message).toMatch(/\(upload u_[0-9a-f-]+\)$/);
    const unknownAgain = await post('/upload/alc?site=carleton', 'name,age\nbob,3\n', { type: 'text/csv' });
    expect([unknownAgain.status, unknownAgain.body.message]).toEqual([422, unknown.body.message]);
    expect(unknown.body.message).toMatch(/not recognised.*\(upload u_[0-9a-f-]+\)$/);
    expect(
      await env.count(
        sql`SELECT count(*)::int AS n FROM uploads WHERE sha256 IN (${sha256(garbage)}, ${sha256('name,age\nbob,3\n')})`,
      ),
    ).toBe(2);
  });

  it('takes a file an older version refused once this one recognises it, on the same record', async () => {
    // As an older service would have left it: refused whole, no format, the bytes kept.
    const file = Buffer.concat([fixture('evans-trend-report-cr-bom.csv'), Buffer.from('\r\n\r\n')]);
    const site = await env.db
      .selectFrom('sites')
      .select('id')
      .where('key', '=', 'carleton')
      .executeTakeFirstOrThrow();
    await env.db
      .insertInto('uploads')
      .values({
        id: 'u_refused_by_v0',
        kind: 'siemens',
        format: null,
        filename: 'x.csv',
        sha256: sha256(file),
        size: file.length,
        site_id: site.id,
        uploader: 'scheduler',
        status: 'failed',
        errors: JSON.stringify([{ line: 1, column: null, reason: 'the file format is not recognised' }]),
        rejected: 1,
        raw: file,
      })
      .execute();
    const res = await post('/upload/siemens?site=carleton', multipart(file, 'x.csv'));
    expect([res.status, res.body.uploadId, res.body.format, res.body.errors]).toEqual([
      202,
      'u_refused_by_v0',
      'siemens-trend',
      [],
    ]);
    expect((await env.waitStored('u_refused_by_v0')).status).toBe('stored');
  });

  it('422 with every bad line listed when nothing in a recognised file is usable', async () => {
    const text =
      'Point_1:,A.B.C,,15 minutes\r\n<>Date,Time,Point_1\r\n13/45/2017,0:00:00,1\r\n3/1/2018,0:00:00,??\r\n';
    const res = await post('/upload/siemens?site=carleton', text, { type: 'text/csv' });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([
      { line: 3, field: 'column 1', message: 'date "13/45/2017" does not exist; row skipped' },
      { line: 4, field: 'column 3', message: expect.stringContaining('"??" is not a number') },
    ]);
  });
});

interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  requestBody: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content: Record<string, { schema: unknown }> }>;
}

describe('operations', () => {
  it('serves /healthz, /readyz, /metrics and the OpenAPI document', async () => {
    expect((await fetch(`${env.base}/healthz`)).status).toBe(200);
    const ready = (await (await fetch(`${env.base}/readyz`)).json()) as {
      checks: { name: string; ok: boolean }[];
    };
    expect(ready.checks).toEqual([
      { name: 'postgres', ok: true },
      { name: 'nats', ok: true },
    ]);
    const metrics = await (await fetch(`${env.base}/metrics`)).text();
    expect(metrics).toMatch(/upload_ingest_uploads\{format="siemens-trend",status="stored"\} [1-9]/);
    expect(metrics).toMatch(/upload_ingest_samples_total\{format="siemens-trend"\} [1-9]/);
    expect(metrics).toContain('upload_ingest_parse_seconds_total');
    const docs = (await (await fetch(`${env.base}/docs/json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      tags: { name: string; description: string }[];
    };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/upload/siemens', '/upload/alc']));
    // Uploads are read at query-api only (one read side, one cursor, one status vocabulary).
    expect(Object.keys(docs.paths)).not.toEqual(expect.arrayContaining(['/uploads/{id}']));
    expect((await fetch(`${env.base}/uploads`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(
      404,
    );
    // What a generated client and the /docs file picker need: an operationId, the file as a
    // binary multipart field (or the raw body), and the error body of every 4xx/5xx.
    const upload = docs.paths['/upload/siemens']!.post!;
    expect(upload.operationId).toBe('uploadSiemens');
    expect(upload.requestBody.content['multipart/form-data']!.schema).toMatchObject({
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });
    expect(upload.requestBody.content['text/csv']!.schema).toMatchObject({ type: 'string' });
    // "Authorize" in /docs, and a generated client that sends the key.
    expect(upload.security).toEqual([{ bearer: [] }]);
    expect(docs.tags.map((t) => t.name)).toEqual(expect.arrayContaining(['uploads', 'ops']));
    for (const status of ['400', '401', '403', '404', '409', '413', '415', '422', '500']) {
      expect(upload.responses[status]!.content['application/json']!.schema).toMatchObject({
        required: expect.arrayContaining(['error', 'message', 'requestId']),
      });
    }
  });
});

describe('too large', () => {
  it('413 past the limit, whether announced by Content-Length or streamed without one', async () => {
    const big = Buffer.alloc(MAX_BYTES + 100_000, 'a');
    const announced = await post('/upload/siemens?site=carleton', big, { type: 'text/csv' });
    expect([announced.status, announced.body.message]).toEqual([
      413,
      expect.stringContaining('over the limit of 400000 bytes'),
    ]);
    const multi = await post(
      '/upload/siemens?site=carleton',
      multipart(Buffer.alloc(MAX_BYTES + 10, 'a'), 'big.csv'),
    );
    expect(multi.status).toBe(413);
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(50_000, 'b'));
    const stream = new ReadableStream({
      pull(controller) {
        const c = chunks.shift();
        if (c) controller.enqueue(c);
        else controller.close();
      },
    });
    const res = await fetch(`${env.base}/upload/siemens?site=carleton`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
    // The refused request's socket is closed, so the next request gets a clean connection.
    expect((await fetch(`${env.base}/healthz`)).status).toBe(200);
    // So is one refused before its body is read (no key): the body may still be on its way.
    const unauthorised = await fetch(`${env.base}/upload/siemens?site=carleton`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: big,
    });
    expect([unauthorised.status, unauthorised.headers.get('connection')]).toEqual([401, 'close']);
  });
});

describe('trace context', () => {
  it("carries the sender's traceparent on every readings batch and every stored event of the upload", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    // Another file than the earlier tests' (one more line end), so it is a new upload.
    const file = Buffer.concat([fixture('reccntr-audit-trend-report.head300.csv'), Buffer.from('\r\n')]);
    const res = await fetch(`${env.base}/upload/siemens?site=olaf`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv', traceparent },
      body: file,
    });
    expect(res.status).toBe(202);
    const { uploadId } = (await res.json()) as Report;
    await env.waitStored(uploadId);

    const nc = await connectNats({ url: infraUrls().natsUrl, name: 'trace-test', logger: silentLogger() });
    try {
      const jsm = await jetstreamManager(nc);
      const names = natsNames(env.prefix);
      // Tracing is off in tests: each hop passes the received context on as it is.
      const headersOf = async (stream: string) => {
        const { state } = await jsm.streams.info(stream);
        const found: (string | undefined)[] = [];
        for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
          const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          const body = msg?.json<{ origin?: { uploadId?: string } }>();
          if (body?.origin?.uploadId === uploadId) found.push(msg!.header?.get('traceparent'));
        }
        return found;
      };
      const batches = Math.ceil((57 * 234) / TEST_SAMPLES_PER_BATCH);
      expect(await headersOf(names.streams.readings)).toEqual(Array(batches).fill(traceparent));
      expect(await headersOf(names.streams.stored)).toEqual(Array(batches).fill(traceparent));
    } finally {
      await nc.close();
    }
  });
});
