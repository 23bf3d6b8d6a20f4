import { Counter, Histogram, type Registry } from 'prom-client';
import type { IngestMetrics } from '../use-cases/ingest.js';

export interface HandlerMetrics extends IngestMetrics {
  command(outcome: 'sent' | 'refused'): void;
}

/**
 * The handler's metrics: messages by kind and outcome (rejected is a kind), commands by outcome,
 * and the handler lag (MQTT receipt → JetStream ack, i.e. how long the broker waits for a PUBACK).
 */
export function createHandlerMetrics(registry: Registry): HandlerMetrics {
  const registers = [registry];
  const messages = new Counter({
    name: 'ep_teststand_messages_total',
    help: 'Inbound MQTT messages by kind (status, data, result, command, rejected) and outcome (published; ignored: not a stand topic).',
    labelNames: ['kind', 'outcome'],
    registers,
  });
  const rejected = new Counter({
    name: 'ep_teststand_rejected_total',
    help: 'Inbound messages that failed validation (stored as rejected with their errors).',
    registers,
  });
  const commands = new Counter({
    name: 'ep_teststand_commands_total',
    help: 'Commands sent to stands by outcome (sent: the broker acknowledged it; refused: it did not).',
    labelNames: ['outcome'],
    registers,
  });
  const lag = new Histogram({
    name: 'ep_teststand_handler_lag_seconds',
    help: 'Time from receiving an MQTT message to JetStream storing its event (the PUBACK follows).',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  return {
    message(kind, outcome, seconds) {
      messages.inc({ kind, outcome });
      if (kind === 'rejected' && outcome === 'published') rejected.inc();
      if (outcome !== 'ignored') lag.observe(seconds);
    },
    command(outcome) {
      commands.inc({ outcome });
    },
  };
}
