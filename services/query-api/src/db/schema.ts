import type { ColumnType, Generated } from 'kysely';

// The tables query-api reads (and the two admin ones it writes), declared here rather than
// imported from measurement-store: this service depends on the schema, not on the store's code.
// Column comments live in the store's migrations.

type Json = unknown;

export interface SitesTable {
  id: Generated<number>;
  key: string;
  name: string;
  timezone: string;
  created_at: Generated<Date>;
}

export interface PointsTable {
  id: Generated<number>;
  site_id: number;
  source: string;
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit: string | null;
  kind: string | null;
  states: Json | null;
  description: string | null;
  interval_seconds: number | null;
  meta: Json;
  first_ts: Date | null;
  last_ts: Date | null;
  last_value: number | null;
  last_quality: number | null;
}

export interface MeasurementsTable {
  point_id: number;
  ts: Date;
  value: number | null;
  quality: number;
}

interface RollupColumns {
  point_id: number;
  bucket: Date;
  min: number | null;
  max: number | null;
  sum: number | null;
  count: number;
  value_count: number;
  good_count: number;
  first_ts: Date;
  first_value: number | null;
  last_ts: Date;
  last_value: number | null;
}

export type MeasurementsHourlyTable = RollupColumns;
export interface MeasurementsDailyTable extends RollupColumns {
  day: string;
  bucket_end: Date;
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
  received_at: Date;
  updated_at: Date;
  status: string;
  points: number;
  samples: number;
  samples_stored: number;
  batches: number;
  batches_stored: number;
  rejected: number;
  errors: Json;
}

export interface TeststandsTable {
  stand: string;
  module: string;
  power_code: number | null;
  status_code: number | null;
  updated_at: Date;
  last_seen: Date;
}

export interface TeststandMessagesTable {
  id: number;
  event_id: string;
  stand: string;
  module: string;
  direction: string;
  topic: string;
  kind: string;
  msg_type: string | null;
  sent_by: string | null;
  protocol_version: string | null;
  status_code: number | null;
  commands: Json | null;
  parameters: Json | null;
  data: Json | null;
  raw: string;
  valid: boolean;
  errors: Json;
  received_at: Date;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  hash: string;
  scopes: string[];
  site_id: number | null;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface Database {
  sites: SitesTable;
  points: PointsTable;
  measurements: MeasurementsTable;
  measurements_hourly: MeasurementsHourlyTable;
  measurements_daily: MeasurementsDailyTable;
  uploads: UploadsTable;
  teststands: TeststandsTable;
  teststand_messages: TeststandMessagesTable;
  api_keys: ApiKeysTable;
}
