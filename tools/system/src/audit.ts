// What the system test asserts and the soak reports: every value the sources produced is in
// PostgreSQL exactly once (compared with the simulators' records and the files' contents),
// every stored fact reached the queue bound to the exchange, no consumer holds anything, every
// service is ready.
import { natsNames } from '@ep/contracts';
import { infraUrls, waitFor } from '@ep/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { sql } from 'kysely';
import { SERVICES, type System } from './system.js';
import type { Sample } from './uploader.js';

/**
 * Prefect fields only NodeStatus carries: a reading whose NodeStatus answer was lost (the poller
 * killed between answer and publish, NATS away at that poll) comes back from NodeHistory
 * without them (gateway-poller README, "What cannot be backfilled"). They may be missing; they
 * may never be wrong or invented.
 */
const STATUS_ONLY = new Set(['pir/presence', 'thermostat/temperature_adjustment']);

/** Served or sent vs stored, for one source family. */
export interface Comparison {
  /** Values the source produced (served, sent, written in a file). */
  produced: number;
  /** Of those, stored with the same value and quality. */
  stored: number;
  /** Produced and not stored (or stored with another value): key and what differs. */
  missing: string[];
  /** Stored and never produced, or stored more than once. */
  extra: string[];
}

export interface Audit {
  gateways: Comparison & { statusOnlyMissing: number };
  files: Comparison & { uploads: number; refused: string[]; unsettled: string[] };
  /** The generated files' points read back through query-api (CSV export of their whole range). */
  api: { points: number; samples: number; mismatched: string[] };
  stands: Comparison;
  amqp: {
    /** Stored facts: readings batches, test-stand messages, set-point events. */
    facts: number;
    delivered: number;
    distinct: number;
    /** Deliveries beyond the first of one message_id (allowed: same id, same bytes). */
    duplicates: number;
    missing: string[];
    unknown: string[];
    /** message_ids delivered twice with different bodies. */
    conflicting: string[];
  };
  consumers: { stream: string; durable: string; pending: number; ackPending: number }[];
  ready: Record<string, boolean>;
  /** Everything wrong, one line each; empty when the system did its job. */
  problems: string[];
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 1e9) / 1e9);

function compare(
  produced: Map<string, [number | null, number]>,
  stored: Map<string, [number | null, number][]>,
  mayBeMissing: (key: string) => boolean = () => false,
): Comparison & { allowedMissing: number } {
  const missing: string[] = [];
  const extra: string[] = [];
  let ok = 0;
  let allowedMissing = 0;
  for (const [key, [value, quality]] of produced) {
    const rows = stored.get(key);
    if (!rows || rows.length === 0) {
      if (mayBeMissing(key)) allowedMissing += 1;
      else missing.push(key);
    } else if (rows.some(([v, q]) => round(v) !== round(value) || q !== quality)) {
      missing.push(`${key}: produced ${value}/${quality}, stored ${JSON.stringify(rows)}`);
    } else ok += 1;
  }
  for (const [key, rows] of stored) {
    if (!produced.has(key)) extra.push(key);
    else if (rows.length > 1) extra.push(`${key} ×${rows.length}`);
  }
  return { produced: produced.size, stored: ok, missing, extra, allowedMissing };
}

async function storedSamples(
  system: System,
  where: ReturnType<typeof sql>,
): Promise<Map<string, [number | null, number][]>> {
  const { rows } = await sql<{
    source: string;
    site: string;
    node: string;
    device: string;
    parameter: string;
    ts: Date;
    value: number | null;
    quality: number;
  }>`SELECT p.source, s.key AS site, p.node, p.device, p.parameter, m.ts, m.value, m.quality
     FROM measurements m JOIN points p ON p.id = m.point_id JOIN sites s ON s.id = p.site_id
     WHERE ${where}`.execute(system.db);
  const out = new Map<string, [number | null, number][]>();
  for (const r of rows) {
    const key = `${r.source}|${r.site}|${r.node}/${r.device}/${r.parameter}|${r.ts.toISOString()}`;
    const list = out.get(key) ?? [];
    list.push([r.value, r.quality]);
    out.set(key, list);
  }
  return out;
}

export async function auditSystem(system: System): Promise<Audit> {
  const problems: string[] = [];

  // Gateways: the simulators' record of what they served.
  const served = new Map<string, [number | null, number]>();
  for (const [vendor, sim] of [
    ['prefect', system.prefect],
    ['secure', system.secure],
  ] as const) {
    for (const s of sim.record.series()) {
      for (const [ts, value, quality] of s.samples)
        served.set(`${vendor}|${s.gateway.toLowerCase()}|${s.node}/${s.device}/${s.parameter}|${ts}`, [
          value,
          quality,
        ]);
    }
  }
  const gwStored = await storedSamples(system, sql`p.source IN ('prefect', 'secure')`);
  const gw = compare(
    served,
    gwStored,
    (key) =>
      key.split('|')[0] === 'prefect' && STATUS_ONLY.has(key.split('|')[2]!.split('/').slice(1).join('/')),
  );
  const gateways = { ...gw, statusOnlyMissing: gw.allowedMissing };

  // Files: the generated files' own values; the samples' upload-ingest counts for the fixtures.
  const written = new Map<string, [number | null, number]>();
  const refused: string[] = [];
  for (const p of system.uploader.posted) {
    if (p.refused) refused.push(`${p.file}: ${p.refused}`);
    if (!p.expected || !p.uploadId) continue;
    for (const [point, samples] of p.expected)
      for (const [ts, value, quality] of samples as Sample[])
        written.set(`alc|${system.fileSite}|${point}|${ts}`, [value, quality]);
  }
  const fileStored = await storedSamples(
    system,
    sql`s.key = ${system.fileSite} AND p.source = 'alc' AND p.node = 'SYS'`,
  );
  const fc = compare(written, fileStored);
  const { rows: uploads } = await sql<{
    id: string;
    filename: string;
    status: string;
    samples: number;
    samples_stored: number;
  }>`SELECT id, filename, status, samples, samples_stored FROM uploads`.execute(system.db);
  const unsettled = uploads
    .filter((u) => u.status !== 'stored' || u.samples_stored !== u.samples)
    .map((u) => `${u.filename} (${u.id}): ${u.status}, ${u.samples_stored} of ${u.samples} samples stored`);
  const files = { ...fc, uploads: uploads.length, refused, unsettled };

  // The same file values as a dashboard gets them: through query-api.
  const api = await readBackThroughApi(system, written);

  // Test stands: every message the broker acknowledged to a stand, as a multiset of payloads.
  const sent = new Map<string, number>();
  for (const m of system.stands.sent()) {
    const k = `${m.stand}|${m.payload}`;
    sent.set(k, (sent.get(k) ?? 0) + 1);
  }
  const { rows: inbound } = await sql<{ stand: string; raw: string }>`
    SELECT stand, raw FROM teststand_messages WHERE direction = 'inbound'`.execute(system.db);
  const got = new Map<string, number>();
  for (const r of inbound) {
    const k = `${r.stand}|${r.raw}`;
    got.set(k, (got.get(k) ?? 0) + 1);
  }
  const standMissing: string[] = [];
  const standExtra: string[] = [];
  let standStored = 0;
  for (const [k, n] of sent) {
    const m = got.get(k) ?? 0;
    standStored += Math.min(n, m);
    if (m < n) standMissing.push(`${k.slice(0, 120)} (sent ${n}, stored ${m})`);
  }
  for (const [k, m] of got) {
    const n = sent.get(k) ?? 0;
    if (m > n) standExtra.push(`${k.slice(0, 120)} (sent ${n}, stored ${m})`);
  }
  const stands: Comparison = {
    produced: [...sent.values()].reduce((a, b) => a + b, 0),
    stored: standStored,
    missing: standMissing,
    extra: standExtra,
  };

  // AMQP: every stored fact's id on the queue; a repeat only as the same bytes.
  const { rows: factRows } = await sql<{ id: string }>`
    SELECT batch_id AS id FROM batches
    UNION ALL SELECT event_id FROM teststand_messages
    UNION ALL SELECT event_id FROM setpoint_events`.execute(system.db);
  const facts = new Set(factRows.map((r) => r.id));
  const byId = new Map<string, Buffer[]>();
  for (const m of system.amqp.messages) {
    // A readings event too big for one message arrives as parts `<id>:<part>/<parts>`.
    const list = byId.get(m.messageId) ?? [];
    list.push(m.content);
    byId.set(m.messageId, list);
  }
  const deliveredIds = new Set([...byId.keys()].map((id) => id.replace(/:\d+\/\d+$/, '')));
  const conflicting = [...byId]
    .filter(([, bodies]) => bodies.some((b) => !b.equals(bodies[0]!)))
    .map(([id]) => id);
  const amqp = {
    facts: facts.size,
    delivered: system.amqp.messages.length,
    distinct: byId.size,
    duplicates: system.amqp.messages.length - byId.size,
    missing: [...facts].filter((id) => !deliveredIds.has(id)),
    unknown: [...deliveredIds].filter((id) => !facts.has(id)),
    conflicting,
  };

  // JetStream: nothing waiting or held unacknowledged by any consumer.
  const names = natsNames(system.prefix);
  const nc = await connect({ servers: infraUrls().natsUrl });
  const consumers: Audit['consumers'] = [];
  try {
    const jsm = await jetstreamManager(nc);
    for (const [stream, durable] of [
      [names.streams.readings, names.consumers.storeReadings],
      [names.streams.teststand, names.consumers.storeTeststand],
      [names.streams.stored, names.consumers.notifier],
    ] as const) {
      const info = await jsm.consumers.info(stream, durable);
      consumers.push({ stream, durable, pending: info.num_pending, ackPending: info.num_ack_pending });
    }
  } finally {
    await nc.close();
  }

  const ready: Record<string, boolean> = {};
  for (const name of SERVICES) ready[name] = await system.services[name].ready();

  const list = (what: string, items: string[]) => {
    if (items.length > 0) problems.push(`${what}: ${items.length} (${items.slice(0, 5).join('; ')})`);
  };
  list('gateway values missing or wrong', gateways.missing);
  list('gateway values stored but never served', gateways.extra);
  list('file values missing or wrong', files.missing);
  list('file values stored but never in a file', files.extra);
  list('uploads refused', files.refused);
  list('file values read back through query-api differ', api.mismatched);
  list('uploads not fully stored', files.unsettled);
  list('stand messages missing', stands.missing);
  list('stand messages stored more often than sent', stands.extra);
  list('stored facts that never reached the queue', amqp.missing);
  list('queue messages that are no stored fact', amqp.unknown);
  list('message_ids delivered with different bodies', amqp.conflicting);
  list(
    'consumers holding messages',
    consumers
      .filter((c) => c.pending + c.ackPending > 0)
      .map((c) => `${c.durable} ${c.pending}/${c.ackPending}`),
  );
  list(
    'services not ready',
    Object.entries(ready)
      .filter(([, ok]) => !ok)
      .map(([name]) => name),
  );
  return { gateways, files, api, stands, amqp, consumers, ready, problems };
}

/**
 * Reads every generated point's samples through query-api (`/points?q=` then each point's CSV
 * export over the files' whole range) and compares them with what the files held.
 */
async function readBackThroughApi(
  system: System,
  written: Map<string, [number | null, number]>,
): Promise<Audit['api']> {
  const headers = { authorization: `Bearer ${system.apiKey}` };
  const get = async (path: string) => {
    const res = await fetch(`${system.apiUrl}/api/v1/${path}`, {
      headers,
      signal: AbortSignal.timeout(20_000),
    });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  const byPoint = new Map<string, Map<number, string>>();
  let from = Infinity;
  let to = -Infinity;
  for (const [key, [value, quality]] of written) {
    const [, , point, ts] = key.split('|') as [string, string, string, string];
    const ms = Date.parse(ts);
    from = Math.min(from, ms);
    to = Math.max(to, ms);
    const samples = byPoint.get(point) ?? new Map<number, string>();
    samples.set(ms, `${value}|${quality}`);
    byPoint.set(point, samples);
  }
  const mismatched: string[] = [];
  let samples = 0;
  if (byPoint.size === 0) return { points: 0, samples, mismatched };
  const { items } = (await (await get(`points?site=${system.fileSite}&q=SYS&limit=1000`)).json()) as {
    items: { id: number; node: string; device: string; parameter: string }[];
  };
  for (const [point, expected] of byPoint) {
    const found = items.find((i) => `${i.node}/${i.device}/${i.parameter}` === point);
    if (!found) {
      mismatched.push(`${point}: not listed by /points`);
      continue;
    }
    const range = `from=${new Date(from).toISOString()}&to=${new Date(to + 1).toISOString()}`;
    const csv = await (await get(`points/${found.id}/samples?${range}&format=csv`)).text();
    const got = new Map<number, string>();
    for (const line of csv.split('\n')) {
      const [ts, value, quality] = line.split(',');
      if (!ts || Number.isNaN(Date.parse(ts)) || quality === undefined) continue;
      got.set(Date.parse(ts), `${value === '' ? null : Number(value)}|${Number(quality)}`);
    }
    samples += got.size;
    for (const [ms, v] of expected)
      if (got.get(ms) !== v)
        mismatched.push(`${point} ${new Date(ms).toISOString()}: file ${v}, API ${got.get(ms)}`);
    for (const ms of got.keys())
      if (!expected.has(ms))
        mismatched.push(`${point} ${new Date(ms).toISOString()}: served by the API, in no file`);
  }
  return { points: byPoint.size, samples, mismatched };
}

/** The audit's counts as a few lines for the test's output. */
/**
 * Audits until the system has settled (no problem left) or `timeoutMs` passed, after the sources
 * stopped: what is still in flight lands in the meantime. Returns the last audit, problems and
 * all; an audit that failed every time (a server unreachable) throws with its own error.
 */
export async function settledAudit(system: System, timeoutMs: number): Promise<Audit> {
  let audit: Audit | undefined;
  await waitFor(
    async () => {
      audit = await auditSystem(system);
      return audit.problems.length === 0;
    },
    { timeoutMs, intervalMs: 2_000, what: 'the system settled' },
  ).catch(() => undefined);
  return audit ?? (await auditSystem(system));
}

export function formatAudit(a: Audit): string {
  const c = (x: Comparison) =>
    `produced ${x.produced}, stored ${x.stored}, missing ${x.missing.length}, extra/twice ${x.extra.length}`;
  return [
    `gateway values: ${c(a.gateways)} (NodeStatus-only fields not backfillable: ${a.gateways.statusOnlyMissing})`,
    `file values:    ${c(a.files)} (${a.files.uploads} uploads, ${a.files.unsettled.length} not fully stored)`,
    `query-api:      ${a.api.samples} samples of ${a.api.points} generated points read back, ${a.api.mismatched.length} differ`,
    `stand messages: ${c(a.stands)}`,
    `AMQP:           ${a.amqp.facts} stored facts, ${a.amqp.delivered} delivered (${a.amqp.distinct} distinct, ${a.amqp.duplicates} repeats), missing ${a.amqp.missing.length}, unknown ${a.amqp.unknown.length}, conflicting ${a.amqp.conflicting.length}`,
    `consumers:      ${a.consumers.map((x) => `${x.durable} pending ${x.pending} ack-pending ${x.ackPending}`).join('; ')}`,
    `ready:          ${Object.entries(a.ready)
      .map(([n, ok]) => `${n} ${ok ? 'ok' : 'NOT READY'}`)
      .join(', ')}`,
  ].join('\n');
}
