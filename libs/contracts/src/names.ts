/**
 * Every NATS subject, stream, durable consumer and KV bucket name, built from one prefix (EP_NATS_PREFIX) so
 * tests and environments can share a server without seeing each other (ARCHITECTURE §2).
 */

export const SOURCES = ['prefect', 'secure', 'siemens', 'alc'] as const;
export type Source = (typeof SOURCES)[number];

/** online / offline: the handler's liveness events (a stand heard again, a stand gone silent). */
export const TESTSTAND_KINDS = [
  'status',
  'data',
  'result',
  'command',
  'rejected',
  'online',
  'offline',
] as const;
export type TeststandKind = (typeof TESTSTAND_KINDS)[number];

/** NATS subject tokens may not contain `.`, `*`, `>` or white space; site and stand keys are mapped. */
export function subjectToken(value: string): string {
  const token = value.replace(/[.*>\s]/g, '_');
  if (token.length === 0) throw new Error('an empty string cannot be a subject token');
  return token;
}

export interface NatsNames {
  prefix: string;
  streams: { readings: string; teststand: string; stored: string };
  /** Durable consumers, one per reading service (replicas share it). */
  consumers: { storeReadings: string; storeTeststand: string; notifier: string };
  /** KV buckets (each the stream `KV_<bucket>`) the replicas of a service share. */
  buckets: {
    /** gateway-poller: which replica polls which gateway, and the live replicas. */
    gatewayLeases: string;
    /** teststand-handler: each stand's last-seen time and online state. */
    teststandLiveness: string;
  };
  subjects: {
    readings(source: Source, site: string): string;
    teststand(stand: string, kind: TeststandKind): string;
    /** Batches of test-stand events (`teststand.events`), whatever their stands and kinds. */
    teststandEvents: string;
    storedReadings(site: string): string;
    storedTeststand(stand: string, kind: TeststandKind): string;
    /** Batches of stored test-stand events (`teststand.stored.events`). */
    storedTeststandEvents: string;
    /** Set-point changes stored by gateway-poller (on the STORED stream, relayed by the notifier). */
    storedSetpoints(site: string): string;
    /** Core NATS request subject of set-point writes, answered by the replica owning the gateway. */
    gatewayControl(gateway: string): string;
    /**
     * Core NATS request/reply (no stream): a command for a stand, answered by one
     * teststand-handler replica (queue group) once the MQTT broker took or refused it.
     */
    teststandCommand(stand: string): string;
    /** Every stand's command subject, for the handler's subscription. */
    allTeststandCommands: string;
    /** Wildcards covering each stream, for stream provisioning. */
    allReadings: string;
    allTeststand: string;
    allStored: string;
  };
}

const PREFIX = /^[a-z][a-z0-9_]{0,30}$/;

export function natsNames(prefix = 'ep'): NatsNames {
  if (!PREFIX.test(prefix)) {
    throw new Error(
      `EP_NATS_PREFIX "${prefix}" must be lowercase letters, digits or _, starting with a letter`,
    );
  }
  const P = prefix.toUpperCase();
  return {
    prefix,
    streams: { readings: `${P}_READINGS`, teststand: `${P}_TESTSTAND`, stored: `${P}_STORED` },
    consumers: {
      storeReadings: 'measurement-store-readings',
      storeTeststand: 'measurement-store-teststand',
      notifier: 'notifier',
    },
    buckets: { gatewayLeases: `${prefix}_gateway_leases`, teststandLiveness: `${P}_TESTSTAND_LIVENESS` },
    subjects: {
      readings: (source, site) => `${prefix}.readings.${source}.${subjectToken(site)}`,
      teststand: (stand, kind) => `${prefix}.teststand.${subjectToken(stand)}.${kind}`,
      // Three tokens: never one of the four-token subjects of a single stand's events.
      teststandEvents: `${prefix}.teststand.events`,
      storedReadings: (site) => `${prefix}.stored.readings.${subjectToken(site)}`,
      storedTeststand: (stand, kind) => `${prefix}.stored.teststand.${subjectToken(stand)}.${kind}`,
      storedTeststandEvents: `${prefix}.stored.teststand.events`,
      storedSetpoints: (site) => `${prefix}.stored.setpoints.${subjectToken(site)}`,
      gatewayControl: (gateway) => `${prefix}.control.gateway.${subjectToken(gateway)}`,
      // Outside every stream's subjects: a request must not be stored.
      teststandCommand: (stand) => `${prefix}.commands.teststand.${subjectToken(stand)}`,
      allTeststandCommands: `${prefix}.commands.teststand.*`,
      allReadings: `${prefix}.readings.>`,
      allTeststand: `${prefix}.teststand.>`,
      allStored: `${prefix}.stored.>`,
    },
  };
}

/** Retention of each stream (ARCHITECTURE §2), in milliseconds. */
export const STREAM_MAX_AGE_MS = {
  readings: 7 * 24 * 3600_000,
  teststand: 7 * 24 * 3600_000,
  stored: 3 * 24 * 3600_000,
} as const;

/** How long the server remembers a msgID to drop a repeated publish. */
export const DUPLICATE_WINDOW_MS = 2 * 3600_000;

/** What a stream is: the settings every service that ensures it must agree on. */
export interface StreamSpec {
  name: string;
  subjects: string[];
  maxAgeMs: number;
  duplicateWindowMs: number;
}

/**
 * The three streams of ARCHITECTURE §2, defined once: measurement-store provisions all of them and
 * the notifier the STORED one; if their specs differed, each start would rewrite the other's.
 */
export function streamSpecs(prefix = 'ep'): Record<'readings' | 'teststand' | 'stored', StreamSpec> {
  const { streams, subjects } = natsNames(prefix);
  const spec = (name: string, subject: string, maxAgeMs: number): StreamSpec => ({
    name,
    subjects: [subject],
    maxAgeMs,
    duplicateWindowMs: DUPLICATE_WINDOW_MS,
  });
  return {
    readings: spec(streams.readings, subjects.allReadings, STREAM_MAX_AGE_MS.readings),
    teststand: spec(streams.teststand, subjects.allTeststand, STREAM_MAX_AGE_MS.teststand),
    stored: spec(streams.stored, subjects.allStored, STREAM_MAX_AGE_MS.stored),
  };
}
