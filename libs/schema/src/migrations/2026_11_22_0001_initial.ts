import { sql, type Kysely } from 'kysely';

/**
 * The whole EP schema (ARCHITECTURE §3). measurement-store owns it; upload-ingest writes
 * `uploads`, gateway-poller `poll_state`; query-api only reads. Frozen once released: change the
 * schema with a new migration.
 */
// Migrations take Kysely<any>: they must not depend on today's table types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sites (
      id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
      name        text NOT NULL,
      -- IANA zone: local-time sources are read in it and daily rollups follow its calendar.
      timezone    text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE points (
      id               integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      site_id          integer NOT NULL REFERENCES sites(id),
      source           text NOT NULL,
      node             text NOT NULL,
      device           text NOT NULL DEFAULT '',
      parameter        text NOT NULL,
      name             text NOT NULL,
      unit             text,
      kind             text,
      -- state number (as text) → label, e.g. {"0": "OFF", "1": "ON"}
      states           jsonb,
      description      text,
      interval_seconds integer,
      meta             jsonb NOT NULL DEFAULT '{}',
      first_ts         timestamptz,
      last_ts          timestamptz,
      last_value       double precision,
      last_quality     smallint,
      created_at       timestamptz NOT NULL DEFAULT now(),
      updated_at       timestamptz NOT NULL DEFAULT now(),
      UNIQUE (site_id, node, device, parameter)
    );
    CREATE INDEX points_name_idx ON points (site_id, name);

    -- One row per sample. Range-partitioned by month (UTC); partitions are created ahead of time
    -- and on demand by ensure_measurement_partitions(), so backfilled history always has a home.
    CREATE TABLE measurements (
      point_id  integer NOT NULL,
      ts        timestamptz NOT NULL,
      value     double precision,
      -- 0 good, 1 estimated, 2 data loss, 3 no data, 4 out of range
      quality   smallint NOT NULL DEFAULT 0,
      PRIMARY KEY (point_id, ts)
    ) PARTITION BY RANGE (ts);

    CREATE FUNCTION ensure_measurement_partitions(from_ts timestamptz, to_ts timestamptz)
    RETURNS integer LANGUAGE plpgsql AS $fn$
    DECLARE
      month   timestamptz := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
      created integer := 0;
      part    text;
    BEGIN
      -- Serialise creators: two stores backfilling the same month must not race on CREATE TABLE.
      PERFORM pg_advisory_xact_lock(hashtext('ep.measurement_partitions'));
      WHILE month <= to_ts LOOP
        part := 'measurements_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
          EXECUTE format(
            'CREATE TABLE %I PARTITION OF measurements FOR VALUES FROM (%L) TO (%L)',
            part, month, (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
          created := created + 1;
        END IF;
        month := (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
      END LOOP;
      RETURN created;
    END
    $fn$;

    -- Rollups, recomputed per touched bucket as the store writes. avg = sum / value_count.
    CREATE TABLE measurements_hourly (
      point_id     integer NOT NULL,
      bucket       timestamptz NOT NULL,       -- start of the UTC hour
      min          double precision,
      max          double precision,
      sum          double precision,
      count        integer NOT NULL,           -- samples, null values included
      value_count  integer NOT NULL,           -- samples with a value
      good_count   integer NOT NULL,           -- samples of quality 0
      first_ts     timestamptz NOT NULL,
      first_value  double precision,
      last_ts      timestamptz NOT NULL,
      last_value   double precision,
      PRIMARY KEY (point_id, bucket)
    );

    CREATE TABLE measurements_daily (
      point_id     integer NOT NULL,
      day          date NOT NULL,              -- the calendar day in the site's time zone
      bucket       timestamptz NOT NULL,       -- local midnight of that day, as an instant
      bucket_end   timestamptz NOT NULL,       -- next local midnight (23, 24 or 25 hours later)
      min          double precision,
      max          double precision,
      sum          double precision,
      count        integer NOT NULL,
      value_count  integer NOT NULL,
      good_count   integer NOT NULL,
      first_ts     timestamptz NOT NULL,
      first_value  double precision,
      last_ts      timestamptz NOT NULL,
      last_value   double precision,
      PRIMARY KEY (point_id, day)
    );

    -- Every readings batch the store committed: replays are recognised, uploads count progress.
    CREATE TABLE batches (
      batch_id    text PRIMARY KEY,
      source      text NOT NULL,
      site_id     integer NOT NULL REFERENCES sites(id),
      upload_id   text,
      points      integer NOT NULL,
      samples     integer NOT NULL,
      inserted    integer NOT NULL,
      revised     integer NOT NULL,
      unchanged   integer NOT NULL,
      stored_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX batches_upload_idx ON batches (upload_id) WHERE upload_id IS NOT NULL;

    -- Written by upload-ingest. The original file is kept so any upload can be re-parsed.
    CREATE TABLE uploads (
      id              text PRIMARY KEY,
      kind            text NOT NULL,              -- endpoint: siemens | alc
      format          text,                       -- detected: siemens-trend, siemens-point-definition, alc-wide, alc-long, alc-point-list
      filename        text,
      sha256          text NOT NULL,
      size            bigint NOT NULL,
      site_id         integer NOT NULL REFERENCES sites(id),
      uploader        text,                       -- API key name
      received_at     timestamptz NOT NULL DEFAULT now(),
      updated_at      timestamptz NOT NULL DEFAULT now(),
      status          text NOT NULL,              -- received → parsing → publishing → stored | failed
      points          integer NOT NULL DEFAULT 0,
      samples         integer NOT NULL DEFAULT 0, -- samples parsed from the file
      samples_stored  integer NOT NULL DEFAULT 0, -- samples committed by the store so far
      batches         integer NOT NULL DEFAULT 0,
      batches_stored  integer NOT NULL DEFAULT 0,
      rejected        integer NOT NULL DEFAULT 0, -- rows or values refused
      errors          jsonb NOT NULL DEFAULT '[]',-- first 100: { line, column, reason }
      raw             bytea NOT NULL,
      UNIQUE (site_id, kind, sha256)
    );

    CREATE TABLE teststands (
      stand        text NOT NULL,
      module       text NOT NULL DEFAULT '',
      power_code   integer,                      -- 600 on, 610 off
      status_code  integer,                      -- last 2xx–5xx status
      updated_at   timestamptz NOT NULL DEFAULT now(),
      last_seen    timestamptz NOT NULL,
      PRIMARY KEY (stand, module)
    );

    -- Every message, valid or not, with its parsed parts.
    CREATE TABLE teststand_messages (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id         text NOT NULL UNIQUE,
      stand            text NOT NULL,
      module           text NOT NULL DEFAULT '',
      direction        text NOT NULL,
      topic            text NOT NULL,
      kind             text NOT NULL,
      msg_type         text,
      sent_by          text,
      protocol_version text,
      status_code      integer,
      commands         jsonb,
      parameters       jsonb,
      data             jsonb,
      raw              text NOT NULL,
      valid            boolean NOT NULL,
      errors           jsonb NOT NULL DEFAULT '[]',
      received_at      timestamptz NOT NULL,
      stored_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX teststand_messages_stand_idx ON teststand_messages (stand, received_at);

    -- Secrets are stored hashed (sha256 of the whole key); the prefix finds the row.
    CREATE TABLE api_keys (
      id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name        text NOT NULL,
      prefix      text NOT NULL UNIQUE,
      hash        text NOT NULL,
      scopes      text[] NOT NULL,
      site_id     integer REFERENCES sites(id),
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz,
      last_used_at timestamptz
    );

    -- Pollers resume where they left off.
    CREATE TABLE poll_state (
      site_id     integer NOT NULL REFERENCES sites(id),
      source      text NOT NULL,
      device      text NOT NULL DEFAULT '',
      cursor      jsonb NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (site_id, source, device)
    );

    -- Messages a consumer could not parse: terminated on NATS, kept here for a person to look at.
    CREATE TABLE rejected_messages (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      consumer     text NOT NULL,
      subject      text NOT NULL,
      stream_seq   bigint,
      error        text NOT NULL,
      data         bytea,
      received_at  timestamptz NOT NULL DEFAULT now()
    );

    -- Partitions from a year back to three months ahead; the store creates the rest on demand.
    SELECT ensure_measurement_partitions(now() - interval '12 months', now() + interval '3 months');
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS rejected_messages, poll_state, api_keys, teststand_messages, teststands,
      uploads, batches, measurements_daily, measurements_hourly, measurements, points, sites CASCADE;
    DROP FUNCTION IF EXISTS ensure_measurement_partitions(timestamptz, timestamptz);
  `.execute(db);
}
