import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from './clock.js';
import { FAULT_KINDS, type FaultKind, type Faults, type FaultSettings } from './faults.js';
import { readBody, sendJson } from './http.js';
import type { SimRecord } from './record.js';

/** Everything the control API reaches. */
export interface Controlled {
  vendor: 'prefect' | 'secure';
  sites: string[];
  clock: SimClock;
  record: SimRecord;
  faults: Faults;
}

export const CONTROL_PREFIX = '/_sim/';

/**
 * The simulator's own API under `/_sim/` (no auth: it is a test tool), for a simulator run as a
 * process: read the record, move the clock, inject faults. Mirrors the programmatic API.
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  sim: Controlled,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const route = url.pathname.slice(CONTROL_PREFIX.length);
  const q = url.searchParams;
  const filter = {
    gateway: q.get('gateway') ?? undefined,
    node: q.get('node') ?? undefined,
    device: q.get('device') ?? undefined,
    parameter: q.get('parameter') ?? undefined,
  };
  const bad = (m: string) => sendJson(res, 400, { error: m });
  if (req.method === 'GET') {
    switch (route) {
      case 'state':
        return sendJson(res, 200, {
          vendor: sim.vendor,
          sites: sim.sites,
          now: new Date(sim.clock.now()).toISOString(),
          rate: sim.clock.rate(),
          faults: Object.fromEntries(['*', ...sim.sites].map((s) => [s, sim.faults.settingsFor(s)])),
        });
      case 'record/series':
        return sendJson(res, 200, sim.record.series(filter));
      case 'record/events':
        return sendJson(res, 200, sim.record.events(filter));
      case 'record/polls':
        return sendJson(res, 200, sim.record.polls(filter.gateway));
      case 'record/double-polls':
        return sendJson(res, 200, sim.record.doublePolls());
      case 'record/requests':
        return sendJson(res, 200, sim.record.requests(filter.gateway));
      case 'record/writes':
        return sendJson(res, 200, sim.record.writes());
      default:
        return sendJson(res, 404, { error: `no control resource GET ${url.pathname}` });
    }
  }
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'GET or POST' });
  let body: Record<string, unknown>;
  try {
    const text = (await readBody(req)).toString('utf8');
    body = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return bad('the body is not JSON');
  }
  try {
    switch (route) {
      case 'clock': {
        if (body.set !== undefined) sim.clock.set(body.set as string | number);
        if (body.advanceMs !== undefined) sim.clock.advance(Number(body.advanceMs));
        if (body.rate !== undefined) sim.clock.setRate(Number(body.rate));
        return sendJson(res, 200, { now: new Date(sim.clock.now()).toISOString(), rate: sim.clock.rate() });
      }
      case 'faults': {
        const gateway = typeof body.gateway === 'string' ? body.gateway : '*';
        if (body.clear === true) sim.faults.clear(typeof body.gateway === 'string' ? gateway : undefined);
        if (body.settings !== undefined) sim.faults.set(gateway, body.settings as FaultSettings);
        if (body.next !== undefined) {
          if (!FAULT_KINDS.includes(body.next as FaultKind))
            return bad(`next must be one of ${FAULT_KINDS.join(', ')}`);
          sim.faults.next(gateway, body.next as FaultKind, body.count === undefined ? 1 : Number(body.count));
        }
        if (body.removeNode !== undefined) sim.faults.removeNode(gateway, String(body.removeNode));
        if (body.restoreNode !== undefined) sim.faults.restoreNode(gateway, String(body.restoreNode));
        if (body.expireSessions === true) sim.faults.expireSessions(gateway);
        if (body.holdNextPoll === true) sim.faults.holdNextPoll(gateway);
        return sendJson(res, 200, { gateway, settings: sim.faults.settingsFor(gateway) });
      }
      case 'record/clear':
        sim.record.clear();
        return sendJson(res, 200, { cleared: true });
      default:
        return sendJson(res, 404, { error: `no control resource POST ${url.pathname}` });
    }
  } catch (err) {
    return bad(err instanceof Error ? err.message : String(err));
  }
}
