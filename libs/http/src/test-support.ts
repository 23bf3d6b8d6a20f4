import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@ep/logger';

/** A real logger whose JSON lines are kept in memory, so tests can assert what was logged. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ name: 'http-test', level: 'debug', destination }), lines };
}
