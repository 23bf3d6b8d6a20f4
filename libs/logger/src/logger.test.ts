import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, redactString } from './index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('masks passwords in connection URLs wherever they appear', () => {
    expect(redactString('connecting to postgres://ep:s3cret@db:5432/ep')).toBe(
      'connecting to postgres://ep:***@db:5432/ep',
    );
    expect(redactString('amqp://guest:guest@127.0.0.1:5672')).toBe('amqp://guest:***@127.0.0.1:5672');
  });

  it('censors secret fields, bearer tokens and URL credentials in logged objects', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'test', destination });
    log.info(
      {
        password: 'hunter2',
        apiKey: 'ep_abc',
        nested: { url: 'nats://u:p@h:4222' },
        req: { headers: { authorization: 'Bearer ep_xyz' } },
      },
      'header Bearer ep_live_123 seen',
    );
    const line = lines[0]!;
    const text = JSON.stringify(line);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('ep_abc');
    expect(text).not.toContain('ep_xyz');
    expect(text).not.toContain('ep_live_123');
    expect(text).not.toContain('u:p@');
    expect(line['msg']).toBe('header Bearer *** seen');
    expect(line['name']).toBe('test');
  });

  it('masks credentials in logged errors', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 'test', destination });
    log.error({ err: new Error('connect ECONNREFUSED postgres://ep:s3cret@db:5432/ep') }, 'db down');
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('postgres://ep:***@db:5432/ep');
    expect((lines[0]!['err'] as { type: string }).type).toBe('Error');
  });
});
