import type { TeststandKind } from '@ep/contracts';
import type { ColumnType, Generated } from 'kysely';
import type {
  SetpointOrigin,
  TeststandCommandOutcome,
  UploadStatus,
  Vendor,
  WriteOutcome,
} from './statuses.js';

/**
 * The tables the migrations create, as kysely sees them. Each table is declared here and only
 * here; code elsewhere uses Selectable<…> / Insertable<…> of them, and a service that touches
 * few tables takes `Kysely<Pick<Database, 'uploads' | 'sites'>>`.
 *
 * Types follow @ep/db's parsers: int8 and numeric arrive as numbers, date as 'YYYY-MM-DD',
 * timestamptz as Date.
 */

/** A timestamptz column: read as Date, written as Date or ISO text. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz column with a database default. */
type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
/** A nullable jsonb column: read parsed, written as JSON text. */
type Json<T> = ColumnType<T | null, string | null, string | null>;

export interface SitesTable {
  id: Generated<number>;
  key: string;
  name: string;
  timezone: string;
  created_at: TimestampDefault;
}

export interface PointsTable {
  id: Generated<number>;
  site_id: number;
  source: string;
  node: string;
  device: ColumnType<string, string | undefined, string>;
  parameter: string;
  name: string;
  unit: string | null;
  kind: string | null;
  states: Json<Record<string, string>>;
  description: string | null;
  interval_seconds: number | null;
  /** A person's name for the point (issue 13); sources never set it. */
  display_name: string | null;
  /** Fields a person set (point_edits.field names); uploads keep them unless explicit. */
  edited: ColumnType<string[], string[] | undefined, string[]>;
  meta: ColumnType<Record<string, unknown>, string | undefined, string>;
  first_ts: Timestamp | null;
  last_ts: Timestamp | null;
  last_value: number | null;
  last_quality: number | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

/** One change a person made to a point's description: who, when, old and new value (JSON). */
export interface PointEditsTable {
  id: Generated<number>;
  point_id: number;
  field: string;
  old: ColumnType<unknown, string | null, string | null>;
  new: ColumnType<unknown, string | null, string | null>;
  by: string;
  at: TimestampDefault;
}

export interface MeasurementsTable {
  point_id: number;
  ts: Timestamp;
  value: number | null;
  quality: ColumnType<number, number | undefined, number>;
}

interface RollupColumns {
  point_id: number;
  bucket: Timestamp;
  min: number | null;
  max: number | null;
  sum: number | null;
  count: number;
  value_count: number;
  good_count: number;
  first_ts: Timestamp;
  first_value: number | null;
  last_ts: Timestamp;
  last_value: number | null;
}

export type MeasurementsHourlyTable = RollupColumns;

export interface MeasurementsDailyTable extends RollupColumns {
  /** The calendar day in the site's zone, 'YYYY-MM-DD'. */
  day: string;
  bucket_end: Timestamp;
}

export interface BatchesTable {
  batch_id: string;
  source: string;
  site_id: number;
  upload_id: string | null;
  points: number;
  samples: number;
  inserted: number;
  revised: number;
  unchanged: number;
  stored_at: TimestampDefault;
}

export interface UploadsTable {
  id: string;
  kind: string;
  format: string | null;
  filename: string | null;
  sha256: string;
  size: number;
  site_id: number;
  uploader: string | null;
  received_at: TimestampDefault;
  updated_at: TimestampDefault;
  status: UploadStatus;
  points: ColumnType<number, number | undefined, number>;
  samples: ColumnType<number, number | undefined, number>;
  samples_stored: ColumnType<number, number | undefined, number>;
  batches: ColumnType<number, number | undefined, number>;
  batches_stored: ColumnType<number, number | undefined, number>;
  rejected: ColumnType<number, number | undefined, number>;
  errors: ColumnType<unknown[], string | undefined, string>;
  raw: Buffer;
}

export interface TeststandsTable {
  stand: string;
  module: ColumnType<string, string | undefined, string>;
  power_code: number | null;
  status_code: number | null;
  updated_at: TimestampDefault;
  last_seen: Timestamp;
}

export interface TeststandMessagesTable {
  id: Generated<number>;
  event_id: string;
  /** Inbound messages: MQTT session, packet id and payload hash (a redelivery has the same). */
  delivery_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The MQTT DUP flag: the broker re-sent this message (see delivery_key). */
  redelivered: ColumnType<boolean, boolean | undefined, boolean>;
  stand: string;
  module: ColumnType<string, string | undefined, string>;
  direction: string;
  topic: string;
  kind: TeststandKind;
  msg_type: string | null;
  sent_by: string | null;
  protocol_version: string | null;
  status_code: number | null;
  commands: Json<string[]>;
  parameters: Json<Record<string, unknown>>;
  data: Json<Record<string, unknown[]>>;
  raw: string;
  valid: boolean;
  errors: ColumnType<unknown[], string | undefined, string>;
  received_at: Timestamp;
  stored_at: TimestampDefault;
}

export interface TeststandCommandsTable {
  id: Generated<number>;
  stand: string;
  module: ColumnType<string, string | undefined, string>;
  topic: string;
  commands: ColumnType<string[], string, string>;
  parameters: ColumnType<Record<string, unknown>, string | undefined, string>;
  requested_by: string;
  requested_at: TimestampDefault;
  outcome: ColumnType<TeststandCommandOutcome, TeststandCommandOutcome | undefined, TeststandCommandOutcome>;
  sent_at: Timestamp | null;
  error: string | null;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  site_id: number | null;
  created_at: TimestampDefault;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface PollStateTable {
  site_id: number;
  source: string;
  device: ColumnType<string, string | undefined, string>;
  cursor: ColumnType<unknown, string, string>;
  updated_at: TimestampDefault;
}

export interface RejectedMessagesTable {
  id: Generated<number>;
  consumer: string;
  subject: string;
  stream_seq: number | null;
  error: string;
  data: Buffer | null;
  received_at: TimestampDefault;
}

/** A heating gateway polled by gateway-poller (`ep gateways add`); its secret is a file, never here. */
export interface GatewaysTable {
  id: Generated<number>;
  name: string;
  site_id: number;
  vendor: Vendor;
  base_url: string;
  interval_seconds: ColumnType<number, number | undefined, number>;
  backfill_days: ColumnType<number, number | undefined, number>;
  created_at: TimestampDefault;
}

/** What the poller last saw of a gateway: owner replica, last poll / success, newest data, last error. */
export interface GatewayStatusTable {
  gateway_id: number;
  owner: string | null;
  last_poll_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_data_at: Timestamp | null;
  last_error: string | null;
  last_error_kind: string | null;
  last_error_at: Timestamp | null;
  backfill: Json<Record<string, unknown>>;
  updated_at: TimestampDefault;
}

/** A set point that changed at a gateway (stored by gateway-poller, relayed as `setpoint.changed`). */
export interface SetpointEventsTable {
  id: Generated<number>;
  event_id: string;
  site_id: number;
  source: string;
  node: string;
  device: string;
  parameter: string;
  ts: Timestamp;
  from_value: number | null;
  to_value: number | null;
  origin: SetpointOrigin;
  created_at: TimestampDefault;
}

/** Every set-point write asked through query-api, with who, what, when and the outcome. */
export interface SetpointWritesTable {
  id: Generated<number>;
  point_id: number;
  gateway_id: number | null;
  requested_by: string;
  value: number;
  requested_at: TimestampDefault;
  outcome: WriteOutcome;
  detail: string | null;
  answered_at: TimestampDefault;
}

export interface Database {
  sites: SitesTable;
  points: PointsTable;
  point_edits: PointEditsTable;
  measurements: MeasurementsTable;
  measurements_hourly: MeasurementsHourlyTable;
  measurements_daily: MeasurementsDailyTable;
  batches: BatchesTable;
  uploads: UploadsTable;
  teststands: TeststandsTable;
  teststand_messages: TeststandMessagesTable;
  teststand_commands: TeststandCommandsTable;
  api_keys: ApiKeysTable;
  poll_state: PollStateTable;
  rejected_messages: RejectedMessagesTable;
  gateways: GatewaysTable;
  gateway_status: GatewayStatusTable;
  setpoint_events: SetpointEventsTable;
  setpoint_writes: SetpointWritesTable;
}
