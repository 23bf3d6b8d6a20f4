import type { SqlClient } from './session.js';

export interface SetpointEventRow {
  eventId: string;
  siteId: number;
  source: string;
  node: string;
  device: string;
  parameter: string;
  /** UTC ISO instant. */
  ts: string;
  from: number | null;
  to: number | null;
  origin: 'override' | 'schedule';
}

/**
 * Stores set-point changes read by a gateway poll; an event id already there (the same change
 * read again, or a redelivered batch) is left as it is.
 */
export async function insertSetpointEvents(
  client: SqlClient,
  events: readonly SetpointEventRow[],
): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `INSERT INTO setpoint_events (event_id, site_id, source, node, device, parameter, ts, from_value, to_value, origin)
     SELECT x.event_id, x.site_id, x.source, x.node, x.device, x.parameter, x.ts, x.from_value, x.to_value, x.origin
     FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, site_id int, source text, node text, device text,
       parameter text, ts timestamptz, from_value double precision, to_value double precision, origin text)
     ORDER BY x.event_id
     ON CONFLICT (event_id) DO NOTHING`,
    [
      JSON.stringify(
        events.map((e) => ({
          event_id: e.eventId,
          site_id: e.siteId,
          source: e.source,
          node: e.node,
          device: e.device,
          parameter: e.parameter,
          ts: e.ts,
          from_value: e.from,
          to_value: e.to,
          origin: e.origin,
        })),
      ),
    ],
  );
}
