import { describe, expect, it } from '@jest/globals';
import { formatLogLine } from './log-format.js';

describe('formatLogLine', () => {
  it('shortens pino JSON and keeps the fields that matter', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-01-05T06:00:03.123Z',
      name: 'x',
      msg: 'slow',
      batch: 3,
      pid: 1,
    });
    expect(formatLogLine(line)).toBe('06:00:03.123 WARN  slow batch=3');
  });
  it('passes other text through', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{not json')).toBe('{not json');
  });
});
