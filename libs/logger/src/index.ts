import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** Object paths whose values are never written to a log line. */
export const REDACTED_PATHS = [
  'password',
  'passphrase',
  'secret',
  'token',
  'apiKey',
  'authorization',
  '*.password',
  '*.passphrase',
  '*.secret',
  '*.token',
  '*.apiKey',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'config.*Password',
  'config.*Key',
];

// user:password@ in any URL (postgres://, amqp://, mqtt://, nats://, http://).
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):([^/@\s]*)@/gi;
// A bearer token that slipped into free text.
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]+/gi;

/** Masks credentials embedded in a string (URLs with user:password, bearer tokens). */
export function redactString(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@').replace(BEARER, '$1***');
}

function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  // Errors keep their type for pino's serializer, with credentials masked in message and stack
  // (a pg or amqplib error message may quote the connection URL).
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Error;
    Object.assign(copy, value);
    copy.message = redactString(value.message);
    if (value.stack) copy.stack = redactString(value.stack);
    return copy;
  }
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out;
}

export interface LoggerOptions {
  /** The service or library name, logged as `name` on every line. */
  name: string;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  level?: string;
  /** Where lines go; stdout when absent. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/** A JSON logger that never prints secrets: known secret fields are censored and URL credentials masked. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '***' },
      formatters: {
        // Strings anywhere in the logged object may carry URLs with credentials.
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((a) => (typeof a === 'string' ? redactString(a) : a));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A logger that writes nothing, for tests and tools that do not want output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
