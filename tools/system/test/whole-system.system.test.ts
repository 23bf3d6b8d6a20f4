import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { waitFor } from '@ep/testkit';
import { sql } from 'kysely';
import {
  settledAudit,
  formatAudit,
  SERVICES,
  startSystem,
  type System,
  type SystemService,
} from '../src/index.js';

jest.setTimeout(300_000);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const t0 = Date.now();
const say = (line: string) =>
  process.stderr.write(`[system +${((Date.now() - t0) / 1000).toFixed(0)} s] ${line}\n`);

/**
 * The six services as processes with every source live — Prefect and Secure gateways polled,
 * CSV files posted, MQTT test stands sending — while each service in turn is SIGKILLed and
 * restarted and each broker link and the database link is cut for a while (fault proxies in
 * front of NATS, RabbitMQ, Mosquitto and PostgreSQL: the shared PostgreSQL server cannot be
 * restarted while other tests use it, so "PostgreSQL restarted" is its connections dropped and
 * refused). Then every value produced is in PostgreSQL exactly once, every stored fact reached
 * the queue bound to the exchange, no consumer holds a message and every service is ready.
 */
describe('the whole system under crashes and outages', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ label: 'system', log: say });
  });

  afterAll(async () => {
    await system?.close();
  });

  const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
    (await query.execute(system.db)).rows[0]!.n;

  it('stores every value once and broadcasts every fact', async () => {
    // Data flows from all three families before the first fault.
    await waitFor(
      async () =>
        (await count(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM batches WHERE source IN ('prefect', 'secure')`,
        )) > 0 &&
        (await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM batches WHERE source = 'alc'`)) > 0 &&
        (await count(
          sql<{ n: number }>`SELECT count(*)::int AS n FROM teststand_messages WHERE kind = 'data'`,
        )) > 0,
      { timeoutMs: 60_000, intervalMs: 500, what: 'data from gateways, files and stands' },
    );

    for (const name of SERVICES) {
      say(`SIGKILL ${name}`);
      await system.services[name].kill();
      await pause(1_000);
      await system.services[name].restart();
      await pause(1_000);
    }
    // A command through query-api → NATS → teststand-handler → MQTT to each stand; the stand's
    // answer (status 202, a data package, status 200) is in its record and so in the audit.
    for (const stand of system.standNames) {
      const res = await fetch(`${system.apiUrl}/api/v1/teststands/${stand}/commands`, {
        method: 'POST',
        headers: { authorization: `Bearer ${system.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ module: system.standModule, commands: ['start'], parameters: { wait: 1 } }),
      });
      expect([stand, res.status]).toEqual([stand, 201]);
    }

    const { nats, amqp, mqtt, pg, storePg } = system.proxies;
    for (const [what, links] of [
      ['NATS', [nats]],
      ['RabbitMQ', [amqp]],
      ['Mosquitto', [mqtt]],
      // The store's link alone first, so its writes fail while gateways and files keep coming.
      ["measurement-store's PostgreSQL", [storePg]],
      ['PostgreSQL', [pg, storePg]],
    ] as const) {
      if (what === 'RabbitMQ') {
        // Slow first, so confirms are outstanding when the link goes.
        amqp.delay(300);
        await pause(2_000);
        amqp.delay(0);
      }
      say(`cut ${what} for 4 s`);
      for (const link of links) link.cut();
      await pause(2_000);
      // A crash during the outage: what the handler took from the broker but could not hand to
      // JetStream must come back from its persistent session, not be lost with the process.
      if (what === 'NATS') await system.services['teststand-handler'].kill();
      await pause(2_000);
      for (const link of links) link.restore();
      if (what === 'NATS') await system.services['teststand-handler'].restart();
      await pause(1_500);
    }
    say('sources stop; waiting for the system to settle');
    await system.stopSources();

    const audit = await settledAudit(system, 90_000);
    say(`settled or gave up\n${formatAudit(audit)}`);
    for (const [name, ok] of Object.entries(audit.ready))
      if (!ok)
        say(
          `${name} is not ready; its last log lines:\n${system.services[name as SystemService].process.output().slice(-4_000)}`,
        );
    expect(audit.problems).toEqual([]);
    // Each family really flowed, through all of the above.
    expect(audit.gateways.stored).toBeGreaterThan(0);
    expect(audit.files.stored).toBeGreaterThan(0);
    expect(audit.stands.stored).toBeGreaterThan(0);
    expect(audit.amqp.facts).toBeGreaterThan(0);
    expect(audit.api.samples).toBe(audit.files.produced);
    // Every stand answered its command with a data package (stored: the audit compared them).
    const answers = system.stands.sent().filter((m) => m.payload.includes('"wait":1'));
    expect(new Set(answers.map((m) => m.stand))).toEqual(new Set(system.standNames));
    expect(
      await count(
        sql<{ n: number }>`SELECT count(*)::int AS n FROM teststand_messages WHERE kind = 'command'`,
      ),
    ).toBe(system.standNames.length);
  });
});
