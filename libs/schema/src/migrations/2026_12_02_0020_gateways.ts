import { sql, type Kysely } from 'kysely';

/**
 * Heating gateways as configuration (`ep gateways add`), their poll status, the set-point
 * changes they reported and the set-point writes sent to them. Cursors stay in `poll_state`
 * (one gateway per site and vendor). Credentials are never stored here: they are files in
 * EP_GATEWAY_SECRETS_DIR.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE gateways (
      id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name             text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
      site_id          integer NOT NULL REFERENCES sites(id),
      vendor           text NOT NULL CHECK (vendor IN ('prefect', 'secure')),
      base_url         text NOT NULL,
      interval_seconds integer NOT NULL DEFAULT 300 CHECK (interval_seconds > 0),
      backfill_days    integer NOT NULL DEFAULT 30 CHECK (backfill_days >= 0),
      created_at       timestamptz NOT NULL DEFAULT now(),
      -- poll_state is keyed by site and source: one gateway per site and vendor.
      UNIQUE (site_id, vendor)
    );

    CREATE TABLE gateway_status (
      gateway_id       integer PRIMARY KEY REFERENCES gateways(id) ON DELETE CASCADE,
      owner            text,
      last_poll_at     timestamptz,
      last_success_at  timestamptz,
      -- newest sample time the gateway gave us; lag = last_poll_at - last_data_at
      last_data_at     timestamptz,
      last_error       text,
      last_error_kind  text,
      last_error_at    timestamptz,
      backfill         jsonb,
      updated_at       timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE setpoint_events (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      -- deterministic (gateway, point, ts): a repeated poll stores an event once
      event_id    text NOT NULL UNIQUE,
      site_id     integer NOT NULL REFERENCES sites(id),
      source      text NOT NULL,
      node        text NOT NULL,
      device      text NOT NULL,
      parameter   text NOT NULL,
      ts          timestamptz NOT NULL,
      from_value  double precision,
      to_value    double precision,
      origin      text NOT NULL CHECK (origin IN ('override', 'schedule')),
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX setpoint_events_point ON setpoint_events (site_id, node, device, parameter, ts);

    CREATE TABLE setpoint_writes (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      point_id      integer NOT NULL REFERENCES points(id),
      gateway_id    integer REFERENCES gateways(id) ON DELETE SET NULL,
      requested_by  text NOT NULL,
      value         double precision NOT NULL,
      requested_at  timestamptz NOT NULL DEFAULT now(),
      outcome       text NOT NULL CHECK (outcome IN ('accepted', 'refused', 'timed_out')),
      detail        text,
      answered_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX setpoint_writes_point ON setpoint_writes (point_id, requested_at);
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS setpoint_writes, setpoint_events, gateway_status, gateways CASCADE`.execute(
    db,
  );
}
