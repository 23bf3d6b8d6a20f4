import { describe, expect, it } from '@jest/globals';
import { onRepost } from './upload-status.js';

describe('onRepost', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);

  it('checks a file refused whole again, and answers a finished one as a duplicate', () => {
    expect(onRepost({ status: 'failed', format: null, updatedAt: ago(1) }, now, 300)).toBe('recheck');
    expect(onRepost({ status: 'failed', format: 'siemens-trend', updatedAt: ago(1) }, now, 300)).toBe(
      'duplicate',
    );
    expect(onRepost({ status: 'published', format: 'alc-wide', updatedAt: ago(1) }, now, 300)).toBe(
      'duplicate',
    );
    expect(onRepost({ status: 'stored', format: 'alc-wide', updatedAt: ago(1) }, now, 300)).toBe('duplicate');
  });

  it('takes over a received upload at once and one in progress only once it is stale', () => {
    expect(onRepost({ status: 'received', format: 'alc-wide', updatedAt: ago(1) }, now, 300)).toBe('resume');
    expect(onRepost({ status: 'parsing', format: 'alc-wide', updatedAt: ago(299) }, now, 300)).toBe('busy');
    expect(onRepost({ status: 'publishing', format: 'alc-wide', updatedAt: ago(301) }, now, 300)).toBe(
      'resume',
    );
  });
});
