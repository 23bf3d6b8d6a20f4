import { parseArgs } from 'node:util';
import { AMQP_DEFAULT_EXCHANGE } from '@ep/contracts';

export interface TapOptions {
  /** RabbitMQ URL; AMQP_URL or the local broker when not given. */
  url: string;
  /** Fanout exchange to bind to (declared durable fanout if it does not exist yet). */
  exchange: string;
  /**
   * Queue to declare and bind. A named queue is durable and outlives the tap (messages keep
   * arriving while it is stopped, within the TTL); without a name the broker picks one that
   * is deleted when the tap exits.
   */
  queue?: string;
  /** Per-queue message TTL in ms (`x-message-ttl`). */
  ttlMs?: number;
  /** Dead-letter exchange for expired or rejected messages (`x-dead-letter-exchange`). */
  deadLetterExchange?: string;
  /** Routing key expired messages are dead-lettered with (`x-dead-letter-routing-key`). */
  deadLetterRoutingKey?: string;
  /** Stop after this many messages (handy in scripts); runs until Ctrl-C otherwise. */
  count?: number;
  /** Print only the properties and size of each message, not its body. */
  bodies: boolean;
  /** Unacked messages the broker sends ahead. */
  prefetch: number;
}

export const USAGE = `usage: pnpm --filter @ep/amqp-tap run tap -- [options]

Binds a queue to EP's fanout exchange and prints every message as one JSON line:
{"messageId","type","timestamp","headers","bytes","body"}.

  --url <amqp-url>          broker (default: $AMQP_URL or amqp://guest:guest@127.0.0.1:5672)
  --exchange <name>         fanout exchange (default: ${AMQP_DEFAULT_EXCHANGE})
  --queue <name>            durable queue to declare and bind (default: a temporary queue)
  --ttl <ms>                message TTL of the queue, x-message-ttl (legacy policy: 1800000)
  --dlx <exchange>          dead-letter exchange, x-dead-letter-exchange
  --dlx-routing-key <key>   x-dead-letter-routing-key
  --count <n>               exit after n messages
  --no-body                 print properties and size only
  --prefetch <n>            messages the broker sends ahead (default 100)
  --help
`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${value}"`);
  return n;
}

/** Parses the command line; throws an Error whose message is fit for the terminal. `null` asks for help. */
export function parseTapArgs(argv: string[], env: Record<string, string | undefined>): TapOptions | null {
  // `pnpm run tap -- --x` hands the `--` through; it is not an end-of-options marker here.
  const args = argv.filter((a) => a !== '--');
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      exchange: { type: 'string' },
      queue: { type: 'string' },
      ttl: { type: 'string' },
      dlx: { type: 'string' },
      'dlx-routing-key': { type: 'string' },
      count: { type: 'string' },
      'no-body': { type: 'boolean', default: false },
      prefetch: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return null;
  return {
    url: values.url ?? env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
    exchange: values.exchange ?? env['EP_AMQP_EXCHANGE'] ?? AMQP_DEFAULT_EXCHANGE,
    queue: values.queue,
    ttlMs: positiveInt('ttl', values.ttl),
    deadLetterExchange: values.dlx,
    deadLetterRoutingKey: values['dlx-routing-key'],
    count: positiveInt('count', values.count),
    bodies: !values['no-body'],
    prefetch: positiveInt('prefetch', values.prefetch) ?? 100,
  };
}

/** The x-arguments of the queue declaration. */
export function queueArguments(options: TapOptions): Record<string, string | number> {
  const args: Record<string, string | number> = {};
  if (options.ttlMs !== undefined) args['x-message-ttl'] = options.ttlMs;
  if (options.deadLetterExchange !== undefined) args['x-dead-letter-exchange'] = options.deadLetterExchange;
  if (options.deadLetterRoutingKey !== undefined)
    args['x-dead-letter-routing-key'] = options.deadLetterRoutingKey;
  return args;
}
