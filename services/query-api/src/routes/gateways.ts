import { formatUtc } from '@ep/contracts';
import { natsNames, SetpointWriteAnswerV1, type SetpointWriteRequest } from '@ep/contracts';
import {
  addGateway,
  GATEWAY_NAME,
  GatewayConfigError,
  listGatewayConfigs,
  listGatewayStatus,
  removeGateway,
} from '@ep/gateways';
import { errorResponseSchema, HttpError } from '@ep/http';
import { VENDORS, type Database } from '@ep/schema';
import type { NatsConnection } from '@nats-io/nats-core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { onlySite, type RouteDeps } from './common.js';
import { badParameter, notFound } from '../domain/errors.js';

/**
 * Heating gateways: their status (GET /gateways), their set-point changes per point and per site,
 * set-point writes (POST /points/{id}/setpoint, scope `control`, sent as a NATS request to the
 * gateway-poller replica owning the gateway, every write kept), and their configuration under
 * /admin/gateways (what `ep gateways` does).
 */

/** Sends a set-point write to the poller owning the gateway; undefined when none answered in time. */
export interface SetpointControl {
  request(
    gateway: string,
    write: SetpointWriteRequest,
    timeoutMs: number,
  ): Promise<z.infer<typeof SetpointWriteAnswerV1> | undefined>;
}

export function natsSetpointControl(nc: NatsConnection, prefix: string): SetpointControl {
  const names = natsNames(prefix);
  return {
    async request(gateway, write, timeoutMs) {
      try {
        const msg = await nc.request(names.subjects.gatewayControl(gateway), JSON.stringify(write), {
          timeout: timeoutMs,
        });
        return SetpointWriteAnswerV1.parse(msg.json());
      } catch {
        // No responder (no replica holds the gateway) or no answer in time: the write timed out.
        return undefined;
      }
    },
  };
}

export interface GatewayRouteDeps extends RouteDeps {
  /** Absent when the app is built without it (createQueryApi always passes one): writes answer 503. */
  control?: SetpointControl;
  /** How long a write waits for the gateway's answer, in ms. */
  writeTimeoutMs?: number;
}

/** Set points a Secure gateway takes (API.md: target, home and away temperatures). */
const WRITABLE = new Set(['target_temperature', 'home_temperature', 'away_temperature']);

const errors = (...codes: (400 | 401 | 403 | 404 | 409 | 422 | 503)[]) =>
  Object.fromEntries(codes.map((c) => [c, errorResponseSchema])) as Record<
    number,
    typeof errorResponseSchema
  >;

const gatewayStatus = z
  .object({
    name: z.string(),
    site: z.string(),
    vendor: z.enum(VENDORS),
    intervalSeconds: z.number().int(),
    owner: z.string().nullable().describe('the poller replica holding the lease'),
    lastPollAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lagSeconds: z.number().nullable().describe('last success minus the newest sample it gave'),
    lastError: z
      .object({ kind: z.string().nullable(), message: z.string(), at: z.string().nullable() })
      .nullable()
      .describe('kind: auth_refused, unreachable, bad_answer, no_secret, refused'),
    backfill: z.record(z.string(), z.unknown()).nullable(),
  })
  .describe('GatewayStatus');

const setpointEvent = z
  .object({
    site: z.string(),
    pointId: z.number().int().nullable(),
    node: z.string(),
    device: z.string(),
    parameter: z.string(),
    ts: z.string(),
    from: z.number().nullable(),
    to: z.number().nullable(),
    origin: z.enum(['override', 'schedule']),
  })
  .describe('SetpointEvent');

const setpointWrite = z
  .object({
    id: z.number().int(),
    pointId: z.number().int(),
    requestedBy: z.string(),
    value: z.number(),
    requestedAt: z.string(),
    outcome: z.enum(['accepted', 'refused', 'timed_out']),
    detail: z.string().nullable(),
  })
  .describe('SetpointWrite');

const gatewayConfig = z
  .object({
    name: z.string(),
    site: z.string(),
    vendor: z.enum(VENDORS),
    url: z.string(),
    intervalSeconds: z.number().int(),
    backfillDays: z.number().int(),
  })
  .describe('Gateway');

async function findPointRow(db: Kysely<Database>, id: number) {
  return db
    .selectFrom('points as p')
    .innerJoin('sites as s', 's.id', 'p.site_id')
    .select(['p.id', 'p.site_id', 's.key as site', 'p.source', 'p.node', 'p.device', 'p.parameter'])
    .where('p.id', '=', id)
    .executeTakeFirst();
}

function eventsQuery(db: Kysely<Database>) {
  return db
    .selectFrom('setpoint_events as e')
    .innerJoin('sites as s', 's.id', 'e.site_id')
    .leftJoin('points as p', (j) =>
      j
        .onRef('p.site_id', '=', 'e.site_id')
        .onRef('p.node', '=', 'e.node')
        .onRef('p.device', '=', 'e.device')
        .onRef('p.parameter', '=', 'e.parameter'),
    )
    .select([
      's.key as site',
      'p.id as point_id',
      'e.node',
      'e.device',
      'e.parameter',
      'e.ts',
      'e.from_value',
      'e.to_value',
      'e.origin',
    ]);
}

type EventRow = Awaited<ReturnType<ReturnType<typeof eventsQuery>['execute']>>[number];
const eventJson = (r: EventRow) => ({
  site: r.site,
  pointId: r.point_id,
  node: r.node,
  device: r.device,
  parameter: r.parameter,
  ts: formatUtc(r.ts),
  from: r.from_value,
  to: r.to_value,
  origin: r.origin,
});

const limit = z.coerce
  .number()
  .int()
  .min(1)
  .max(10_000)
  .default(1_000)
  .describe('most recent first, at most this many');

export function gatewayRoutes(deps: GatewayRouteDeps): FastifyPluginAsyncZod {
  const { db, keysDb } = deps;
  return async (app) => {
    const tags = ['gateways'];

    app.get(
      '/gateways',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listGateways',
          tags,
          summary: 'Heating gateways with owner replica, last poll, last success, lag and last error',
          response: { 200: z.array(gatewayStatus), ...errors(401, 403) },
        },
      },
      async (request) => {
        const bound = onlySite(request);
        return listGatewayStatus(db, bound === null ? {} : { site: bound });
      },
    );

    app.get(
      '/sites/:site/setpoint-events',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listSiteSetpointEvents',
          tags,
          summary: 'Set-point changes at a site, newest first',
          params: z.object({ site: z.string() }),
          querystring: z.object({ limit }),
          response: { 200: z.array(setpointEvent), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const bound = onlySite(request);
        const { site } = request.params;
        if (bound !== null && bound !== site) throw notFound(`site ${site}`);
        const exists = await db.selectFrom('sites').select('id').where('key', '=', site).executeTakeFirst();
        if (!exists) throw notFound(`site ${site}`);
        const rows = await eventsQuery(db)
          .where('s.key', '=', site)
          .orderBy('e.ts', 'desc')
          .limit(request.query.limit)
          .execute();
        return rows.map(eventJson);
      },
    );

    app.get(
      '/points/:id/setpoint-events',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPointSetpointEvents',
          tags,
          summary: 'Set-point changes of a point, newest first',
          params: z.object({ id: z.coerce.number().int().min(1) }),
          querystring: z.object({ limit }),
          response: { 200: z.array(setpointEvent), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const point = await visiblePoint(request.params.id, onlySite(request));
        const rows = await eventsQuery(db)
          .where('e.site_id', '=', point.site_id)
          .where('e.node', '=', point.node)
          .where('e.device', '=', point.device)
          .where('e.parameter', '=', point.parameter)
          .orderBy('e.ts', 'desc')
          .limit(request.query.limit)
          .execute();
        return rows.map(eventJson);
      },
    );

    app.get(
      '/points/:id/setpoint-writes',
      {
        config: { access: 'read' },
        schema: {
          operationId: 'listPointSetpointWrites',
          tags,
          summary: 'Every set-point write asked for a point, with who, when and the outcome; newest first',
          params: z.object({ id: z.coerce.number().int().min(1) }),
          querystring: z.object({ limit }),
          response: { 200: z.array(setpointWrite), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const point = await visiblePoint(request.params.id, onlySite(request));
        const rows = await db
          .selectFrom('setpoint_writes')
          .selectAll()
          .where('point_id', '=', point.id)
          .orderBy('id', 'desc')
          .limit(request.query.limit)
          .execute();
        return rows.map(writeJson);
      },
    );

    app.post(
      '/points/:id/setpoint',
      {
        config: { access: 'control' },
        schema: {
          operationId: 'writeSetpoint',
          tags,
          summary:
            'Write a set point to the gateway of a point (Secure only); the answer says accepted, refused by the gateway or timed out, and the write is kept',
          params: z.object({ id: z.coerce.number().int().min(1) }),
          body: z.object({ value: z.number().min(-50).max(100).describe('°C') }),
          response: { 200: setpointWrite, ...errors(400, 401, 403, 404, 422, 503) },
        },
      },
      async (request) => {
        const point = await visiblePoint(request.params.id, onlySite(request));
        const gateway = await keysDb
          .selectFrom('gateways')
          .select(['id', 'name', 'vendor'])
          .where('site_id', '=', point.site_id)
          .where('vendor', '=', point.source as (typeof VENDORS)[number])
          .executeTakeFirst();
        if (!gateway)
          throw new HttpError(
            422,
            `point ${point.id} (source ${point.source}) is not polled from a heating gateway; nothing to write to`,
          );
        if (gateway.vendor === 'prefect') {
          throw new HttpError(
            422,
            'Prefect gateways have no write API: set points are changed at the receiver',
          );
        }
        if (!WRITABLE.has(point.parameter)) {
          throw badParameter(
            'id',
            `point ${point.id} is ${point.parameter}; writable: ${[...WRITABLE].join(', ')}`,
          );
        }
        if (!deps.control)
          throw new HttpError(
            503,
            'set-point writes need NATS (NATS_URL), which this query-api was started without',
          );
        const requestedAt = new Date();
        const answer = await deps.control.request(
          gateway.name,
          {
            v: 1,
            gateway: gateway.name,
            point: { node: point.node, device: point.device, parameter: point.parameter },
            value: request.body.value,
            requestedBy: request.principal!.name,
          },
          deps.writeTimeoutMs ?? 10_000,
        );
        const row = await keysDb
          .insertInto('setpoint_writes')
          .values({
            point_id: point.id,
            gateway_id: gateway.id,
            requested_by: request.principal!.name,
            value: request.body.value,
            outcome: answer?.outcome ?? 'timed_out',
            detail:
              answer?.detail ?? (answer ? null : 'no answer from the poller owning the gateway in time'),
            requested_at: requestedAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return writeJson(row);
      },
    );

    // Configuration: what `ep gateways add|list|remove` does.
    app.get(
      '/admin/gateways',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'listGatewayConfigs',
          tags: ['admin'],
          summary: 'Configured heating gateways',
          response: { 200: z.array(gatewayConfig), ...errors(401, 403) },
        },
      },
      async () => listGatewayConfigs(keysDb),
    );
    app.put(
      '/admin/gateways/:name',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'addGateway',
          tags: ['admin'],
          summary:
            'Add a heating gateway (its secret goes in the file <name> of the poller’s EP_GATEWAY_SECRETS_DIR, never here)',
          params: z.object({
            name: z.string().regex(GATEWAY_NAME, 'lowercase letters, digits, _ or -'),
          }),
          body: z.object({
            site: z.string(),
            vendor: z.enum(VENDORS),
            url: z.string().regex(/^https?:\/\//, 'an http(s) base URL'),
            intervalSeconds: z.number().int().min(1).default(300),
            backfillDays: z.number().int().min(0).default(30),
          }),
          response: { 201: gatewayConfig, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        try {
          const added = await addGateway(keysDb, { name: request.params.name, ...request.body });
          reply.code(201);
          return added;
        } catch (err) {
          if (!(err instanceof GatewayConfigError)) throw err;
          if (err.reason === 'unknown_site')
            throw notFound(
              `site ${request.body.site} (add it with PUT /api/v1/admin/sites/${request.body.site})`,
            );
          throw new HttpError(409, err.message);
        }
      },
    );
    app.delete(
      '/admin/gateways/:name',
      {
        config: { access: 'admin' },
        schema: {
          operationId: 'removeGateway',
          tags: ['admin'],
          summary: 'Stop polling a gateway (its data and cursors stay)',
          params: z.object({ name: z.string() }),
          response: { 200: z.object({ removed: z.string() }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        if (!(await removeGateway(keysDb, request.params.name)))
          throw notFound(`gateway ${request.params.name}`);
        return { removed: request.params.name };
      },
    );

    async function visiblePoint(id: number, bound: string | null) {
      const point = await findPointRow(db, id);
      if (!point || (bound !== null && point.site !== bound)) throw notFound(`point ${id}`);
      return point;
    }
  };
}

const writeJson = (r: {
  id: number;
  point_id: number;
  requested_by: string;
  value: number;
  requested_at: Date;
  outcome: 'accepted' | 'refused' | 'timed_out';
  detail: string | null;
}) => ({
  id: r.id,
  pointId: r.point_id,
  requestedBy: r.requested_by,
  value: r.value,
  requestedAt: formatUtc(r.requested_at),
  outcome: r.outcome,
  detail: r.detail,
});
