import type { ColumnType, Generated } from 'kysely';

/**
 * The gateway tables (migration 2026_12_02_0020_gateways) plus the shared tables the poller
 * reads or writes. Moves to libs/schema when it lands.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;

export const VENDORS = ['prefect', 'secure'] as const;
export type Vendor = (typeof VENDORS)[number];
export const WRITE_OUTCOMES = ['accepted', 'refused', 'timed_out'] as const;
export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];

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

export interface GatewayStatusTable {
  gateway_id: number;
  owner: string | null;
  last_poll_at: Timestamp | null;
  last_success_at: Timestamp | null;
  last_data_at: Timestamp | null;
  last_error: string | null;
  last_error_kind: string | null;
  last_error_at: Timestamp | null;
  backfill: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  updated_at: TimestampDefault;
}

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
  origin: 'override' | 'schedule';
  created_at: TimestampDefault;
}

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

export interface PollStateTable {
  site_id: number;
  source: string;
  device: ColumnType<string, string | undefined, string>;
  cursor: ColumnType<Record<string, unknown>, string, string>;
  updated_at: TimestampDefault;
}

export interface SitesTable {
  id: Generated<number>;
  key: string;
  name: string;
  timezone: string;
  created_at: TimestampDefault;
}

export interface GatewayDatabase {
  gateways: GatewaysTable;
  gateway_status: GatewayStatusTable;
  setpoint_events: SetpointEventsTable;
  setpoint_writes: SetpointWritesTable;
  poll_state: PollStateTable;
  sites: SitesTable;
}
