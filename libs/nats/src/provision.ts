import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerUpdateConfig,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
  type StreamUpdateConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';

// Provisioning runs in every replica at boot (and in migrations/CLI), so two processes may race
// to create the same stream or consumer. The server accepts an identical create; a differing one
// fails, and a re-read then takes the update path. Three rounds settle any race we can have.
const ATTEMPTS = 3;

function apiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** How long a message is kept, in ms (limits retention). */
  maxAgeMs: number;
  /** How long the server remembers a msgID to drop a repeated publish, in ms; server default (2 min) when absent. */
  duplicateWindowMs?: number;
  /** 1 locally, 3 on a clustered production server; left as the server has it when absent. */
  replicas?: number;
}

/**
 * Creates the stream, or brings an existing one to the given subjects, age, duplicate window and
 * replicas. Idempotent and safe to run concurrently from several processes. Options left out are
 * not touched on an existing stream.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<StreamInfo> {
  const wanted: Partial<StreamUpdateConfig> = {
    subjects: [...spec.subjects],
    max_age: nanos(spec.maxAgeMs),
    ...(spec.duplicateWindowMs !== undefined ? { duplicate_window: nanos(spec.duplicateWindowMs) } : {}),
    ...(spec.replicas !== undefined ? { num_replicas: spec.replicas } : {}),
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let existing: StreamInfo | undefined;
    try {
      existing = await jsm.streams.info(spec.name);
    } catch (err) {
      if (apiCode(err) !== JetStreamApiCodes.StreamNotFound) throw err;
    }
    try {
      if (!existing) {
        const config: Partial<StreamConfig> & { name: string } = {
          name: spec.name,
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          ...wanted,
        };
        return await jsm.streams.add(config);
      }
      const { config } = existing;
      if (config.retention !== RetentionPolicy.Limits || config.storage !== StorageType.File) {
        // Neither can be changed in place; silently keeping the wrong one would break retention.
        throw new Error(
          `stream ${spec.name} exists with retention ${config.retention} / storage ${config.storage}; ` +
            'expected limits / file — delete or migrate it by hand',
        );
      }
      if (!streamDiffers(config, wanted)) return existing;
      return await jsm.streams.update(spec.name, wanted);
    } catch (err) {
      // Lost a create race (name in use) or an update raced another update: read again.
      if (!(err instanceof JetStreamApiError)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

function sameSet(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = [...(a ?? [])].sort();
  const y = [...(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function streamDiffers(have: StreamConfig, want: Partial<StreamUpdateConfig>): boolean {
  return (
    !sameSet(have.subjects, want.subjects) ||
    have.max_age !== want.max_age ||
    (want.duplicate_window !== undefined && have.duplicate_window !== want.duplicate_window) ||
    (want.num_replicas !== undefined && have.num_replicas !== want.num_replicas)
  );
}

export interface ConsumerSpec {
  /** Durable name; replicas of a service share it and so share the work. */
  durable: string;
  /** Only these subjects of the stream; all when absent. More than one needs nats-server ≥ 2.10. */
  filterSubjects?: string[];
  /** How long a delivered message may stay un-acked before the server redelivers it, in ms. */
  ackWaitMs: number;
  /** Deliveries before the server gives up on a message; unlimited (-1) when absent. */
  maxDeliver?: number;
  /**
   * Un-acked messages the server lets out at once, over all replicas. It also bounds what a
   * consume loop buffers client-side, so keep it near replicas × concurrency (× maxBatch).
   */
  maxAckPending: number;
}

/**
 * Creates the durable pull consumer (explicit ack, from the start of the stream), or updates an
 * existing one to the given settings. Idempotent and safe to run concurrently.
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  spec: ConsumerSpec,
): Promise<ConsumerInfo> {
  const filters = spec.filterSubjects ?? [];
  const wanted: Partial<ConsumerUpdateConfig> = {
    ack_wait: nanos(spec.ackWaitMs),
    max_deliver: spec.maxDeliver ?? -1,
    max_ack_pending: spec.maxAckPending,
    // One filter goes in filter_subject, which every server version understands.
    ...(filters.length === 1 ? { filter_subject: filters[0] } : {}),
    ...(filters.length > 1 ? { filter_subjects: filters } : {}),
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let existing: ConsumerInfo | undefined;
    try {
      existing = await jsm.consumers.info(stream, spec.durable);
    } catch (err) {
      if (apiCode(err) !== JetStreamApiCodes.ConsumerNotFound) throw err;
    }
    try {
      if (!existing) {
        const config: Partial<ConsumerConfig> = {
          durable_name: spec.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ...wanted,
        };
        return await jsm.consumers.add(stream, config);
      }
      const { config } = existing;
      if (config.deliver_subject || config.ack_policy !== AckPolicy.Explicit) {
        throw new Error(
          `consumer ${spec.durable} on ${stream} exists but is not an explicit-ack pull consumer; delete it by hand`,
        );
      }
      if (!consumerDiffers(config, wanted, filters)) return existing;
      return await jsm.consumers.update(stream, spec.durable, {
        ...wanted,
        // Clear whichever filter form is not used so the two never coexist.
        ...(filters.length <= 1 && config.filter_subjects?.length ? { filter_subjects: [] } : {}),
        ...(filters.length !== 1 && config.filter_subject ? { filter_subject: '' } : {}),
      });
    } catch (err) {
      if (!(err instanceof JetStreamApiError)) throw err;
      lastError = err;
    }
  }
  throw lastError;
}

function consumerDiffers(
  have: ConsumerConfig,
  want: Partial<ConsumerUpdateConfig>,
  filters: string[],
): boolean {
  const haveFilters = have.filter_subjects?.length
    ? have.filter_subjects
    : have.filter_subject
      ? [have.filter_subject]
      : [];
  return (
    have.ack_wait !== want.ack_wait ||
    (have.max_deliver ?? -1) !== want.max_deliver ||
    have.max_ack_pending !== want.max_ack_pending ||
    !sameSet(haveFilters, filters)
  );
}
