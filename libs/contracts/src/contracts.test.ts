import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatUtc,
  messageCatalogue,
  natsNames,
  ReadingsBatchV1,
  renderMessagesDoc,
  streamSpecs,
  subjectToken,
} from './index.js';

describe('natsNames', () => {
  it('builds every subject and stream from the prefix', () => {
    const n = natsNames('t1');
    expect(n.streams).toEqual({ readings: 'T1_READINGS', teststand: 'T1_TESTSTAND', stored: 'T1_STORED' });
    expect(n.subjects.readings('siemens', 'carleton')).toBe('t1.readings.siemens.carleton');
    expect(n.subjects.teststand('Testdevice', 'status')).toBe('t1.teststand.Testdevice.status');
    expect(n.subjects.storedReadings('a.b')).toBe('t1.stored.readings.a_b');
    expect(n.subjects.allStored).toBe('t1.stored.>');
  });

  it('defines each stream once, with its retention and the shared duplicate window', () => {
    const specs = streamSpecs('t1');
    expect(specs.stored).toEqual({
      name: 'T1_STORED',
      subjects: ['t1.stored.>'],
      maxAgeMs: 3 * 24 * 3600_000,
      duplicateWindowMs: 2 * 3600_000,
    });
    expect(specs.readings.maxAgeMs).toBe(7 * 24 * 3600_000);
    expect(specs.teststand.subjects).toEqual(['t1.teststand.>']);
  });

  it('refuses a prefix that would break subjects', () => {
    expect(() => natsNames('EP')).toThrow(/EP_NATS_PREFIX/);
    expect(() => natsNames('e.p')).toThrow(/EP_NATS_PREFIX/);
    expect(() => subjectToken('')).toThrow();
  });
});

describe('message schemas', () => {
  it('every documented example parses with its schema', () => {
    for (const entry of messageCatalogue) expect(entry.schema.safeParse(entry.example).error).toBeUndefined();
  });

  it('names the bad field of a readings batch', () => {
    const result = ReadingsBatchV1.safeParse({
      v: 1,
      batchId: 'x',
      source: 'fax',
      site: 's',
      producedAt: 'now',
      points: [],
    });
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['producedAt', 'source']);
  });

  it('docs/messages.md is the generated document (run `pnpm docs:messages` after changing a schema)', () => {
    const onDisk = readFileSync(join(process.cwd(), 'docs', 'messages.md'), 'utf8');
    expect(onDisk).toBe(renderMessagesDoc());
  });
});

describe('formatUtc', () => {
  it('writes instants as samples are written: "Z", milliseconds only when not zero', () => {
    expect(formatUtc(new Date('2026-12-03T07:00:00.000Z'))).toBe('2026-12-03T07:00:00Z');
    expect(formatUtc(Date.parse('2026-12-03T07:00:00.250Z'))).toBe('2026-12-03T07:00:00.250Z');
  });
});
