import type { ApiKeyRow } from '@ep/auth';
import type { PointRow, SiteRow } from '../db/catalog.js';
import type { MessageRow, UploadRow } from '../db/records.js';
import type { TeststandRow } from '../db/records.js';
import { formatUtc } from '@ep/contracts';

// Database rows → API shapes (camelCase, ISO times written as samples are: "…00Z", fractions
// only when not zero).

export const formatIso = (d: Date) => formatUtc(d);
const iso = formatIso;
const isoOrNull = (d: Date | null) => (d ? iso(d) : null);

export const siteJson = (s: SiteRow) => ({
  key: s.key,
  name: s.name,
  timezone: s.timezone,
  createdAt: iso(s.created_at),
});

export const pointJson = (p: PointRow) => ({
  id: p.id,
  site: p.site,
  source: p.source,
  node: p.node,
  device: p.device,
  parameter: p.parameter,
  name: p.name,
  unit: p.unit,
  kind: p.kind,
  states: (p.states ?? null) as Record<string, string> | null,
  description: p.description,
  intervalSeconds: p.interval_seconds,
  firstTs: isoOrNull(p.first_ts),
  lastTs: isoOrNull(p.last_ts),
  lastValue: p.last_value,
  lastQuality: p.last_quality,
});

export const latestJson = (p: PointRow) => ({
  point: p.id,
  name: p.name,
  unit: p.unit,
  ts: isoOrNull(p.last_ts),
  value: p.last_value,
  quality: p.last_quality,
});

export const uploadJson = (u: UploadRow) => ({
  id: u.id,
  kind: u.kind,
  format: u.format,
  filename: u.filename,
  sha256: u.sha256,
  size: u.size,
  site: u.site,
  uploader: u.uploader,
  receivedAt: iso(u.received_at),
  updatedAt: iso(u.updated_at),
  status: u.status,
  counts: {
    points: u.points,
    samples: u.samples,
    samplesStored: u.samples_stored,
    batches: u.batches,
    batchesStored: u.batches_stored,
    rejected: u.rejected,
  },
  errors: Array.isArray(u.errors) ? (u.errors as unknown[]) : [],
});

export const messageJson = (m: MessageRow) => ({
  id: m.id,
  eventId: m.event_id,
  stand: m.stand,
  module: m.module,
  direction: m.direction,
  topic: m.topic,
  kind: m.kind,
  msgType: m.msg_type,
  sentBy: m.sent_by,
  protocolVersion: m.protocol_version,
  statusCode: m.status_code,
  commands: m.commands ?? null,
  parameters: m.parameters ?? null,
  data: m.data ?? null,
  raw: m.raw,
  valid: m.valid,
  errors: m.errors,
  receivedAt: iso(m.received_at),
});

export const keyJson = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  site: k.site,
  createdAt: iso(k.created_at),
  revokedAt: isoOrNull(k.revoked_at),
  lastUsedAt: isoOrNull(k.last_used_at),
});

export const pointDetail = (p: PointRow) => ({
  ...pointJson(p),
  meta: (p.meta ?? {}) as Record<string, unknown>,
});

export const teststandJson = (t: TeststandRow) => ({
  stand: t.stand,
  module: t.module,
  powerCode: t.power_code,
  statusCode: t.status_code,
  updatedAt: iso(t.updated_at),
  lastSeen: iso(t.last_seen),
  online: t.liveness === null ? null : t.liveness === 'online',
  livenessChangedAt: isoOrNull(t.liveness_at),
});
