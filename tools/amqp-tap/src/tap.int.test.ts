import { afterAll, describe, expect, it } from '@jest/globals';
import amqp from 'amqplib';
import { infraUrls, uniqueName, waitFor } from '@ep/testkit';
import { parseTapArgs } from './args.js';
import { startTap, type TappedMessage } from './tap.js';

describe('amqp-tap', () => {
  const url = infraUrls().amqpUrl;
  const exchange = uniqueName('tap_x');
  const queue = uniqueName('tap_q');
  const dlx = uniqueName('tap_dlx');

  afterAll(async () => {
    const connection = await amqp.connect(url);
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await connection.close();
  });

  it('binds a durable queue with the given TTL and dead-letter exchange and prints what arrives', async () => {
    const options = parseTapArgs(
      ['--url', url, '--exchange', exchange, '--queue', queue, '--ttl', '1800000', '--dlx', dlx],
      {},
    )!;
    const printed: TappedMessage[] = [];
    const tap = await startTap({ ...options, count: 1 }, (m) => printed.push(m));

    const connection = await amqp.connect(url);
    const channel = await connection.createConfirmChannel();
    channel.publish(exchange, '', Buffer.from('{"hello":1}'), {
      contentType: 'application/json',
      type: 'readings.stored',
      messageId: 'b1',
      timestamp: 1_767_592_804,
      headers: { 'x-ep-site': 'carleton' },
    });
    await channel.waitForConfirms();
    await tap.done;
    await tap.stop();
    expect(printed).toEqual([
      {
        messageId: 'b1',
        type: 'readings.stored',
        timestamp: '2026-01-05T06:00:04.000Z',
        headers: { 'x-ep-site': 'carleton' },
        redelivered: false,
        bytes: 11,
        body: { hello: 1 },
      },
    ]);

    // The queue outlives the tap and carries the arguments: declaring it with another TTL is refused.
    const check = await connection.createChannel();
    check.on('error', () => undefined);
    await expect(
      check.assertQueue(queue, {
        durable: true,
        arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': dlx },
      }),
    ).rejects.toThrow(/PRECONDITION_FAILED.*x-message-ttl/);
    const same = await connection.createChannel();
    await expect(
      same.assertQueue(queue, {
        durable: true,
        arguments: { 'x-message-ttl': 1_800_000, 'x-dead-letter-exchange': dlx },
      }),
    ).resolves.toMatchObject({ queue });
    await waitFor(async () => (await same.checkQueue(queue)).consumerCount === 0, {
      what: 'tap consumer gone',
    });
    await connection.close();
  });
});
