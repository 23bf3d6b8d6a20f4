import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { editPoint } from '@ep/points';
import type { Kysely } from 'kysely';
import type { Database } from '@ep/schema';
import { fixture, uploadTestEnv } from './support.js';

// Issue 13 over the real path: a Siemens trend report uploaded to upload-ingest, published to
// NATS, stored by the real store; a person edits the point; the report (corrected) comes again
// and the edit stays; a Point Definition report stating the unit does change it.
jest.setTimeout(90_000);

let env: Awaited<ReturnType<typeof uploadTestEnv>>;
let key = '';

beforeAll(async () => {
  env = await uploadTestEnv('upedits', { maxBytes: 400_000 });
  await env.addSite('carleton', 'America/Chicago');
  key = await env.addKey('scheduler', ['upload:siemens', 'read']);
});

afterAll(async () => {
  await env?.close();
});

async function upload(body: string | Buffer, filename: string) {
  const res = await fetch(`${env.base}/upload/siemens?site=carleton&filename=${filename}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
    body,
  });
  const report = (await res.json()) as { uploadId: string; format: string };
  expect(res.status).toBe(202);
  await env.waitStored(report.uploadId);
  return report;
}

const point = () =>
  (env.db as unknown as Kysely<Database>)
    .selectFrom('points')
    .selectAll()
    .where('name', '=', 'CMC.328.RT')
    .executeTakeFirstOrThrow();

describe('a person’s point edit and later uploads', () => {
  it('keeps the edit when the trend report comes again; a point definition stating the unit replaces it', async () => {
    const trend = fixture('evans-trend-report-cr-bom.csv');
    await upload(trend, 'evans.csv');
    const before = await point();
    // The report's Time Interval (15 minutes) is the point's interval.
    expect(before).toMatchObject({ unit: null, kind: 'sampled', interval_seconds: 900 });

    await editPoint(
      env.db as unknown as Kysely<Database>,
      before.id,
      { unit: 'degF', kind: 'sampled', interval_seconds: 600, description: 'room 328 temperature' },
      'cli:test',
    );

    // The same report, corrected (one value differs, so it is a new upload that is stored).
    const corrected = Buffer.from(
      trend.toString('latin1').replace('12/27/2017,0:00:00,25,', '12/27/2017,0:00:00,26,'),
      'latin1',
    );
    const again = await upload(corrected, 'evans-corrected.csv');
    expect(again.format).toBe('siemens-trend');
    expect(await point()).toMatchObject({
      unit: 'degF',
      interval_seconds: 600,
      description: 'room 328 temperature',
      last_value: before.last_value,
    });

    const definition = [
      '""',
      '"Point System Name:","CMC.328.RT"',
      '"Point Name:","CMC.328.RT"',
      '"Point Type:","LAI"',
      '"Engineering Units:","DEG F"',
      '" ********************************************************************************"',
      '" ******************************** End of Report *********************************"',
      '',
    ].join('\r\n');
    const def = await upload(definition, 'points.csv');
    expect(def.format).toBe('siemens-point-definition');
    expect(await point()).toMatchObject({
      unit: 'DEG F', // stated by the definition: replaces the edit
      description: 'room 328 temperature', // no Descriptor line: the edit stays
      interval_seconds: 600,
      edited: ['description', 'interval_seconds'],
    });
  });
});
