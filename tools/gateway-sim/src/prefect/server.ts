import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimClock } from '../clock.js';
import { CONTROL_PREFIX, handleControl } from '../control.js';
import { createFaults, type Faults } from '../faults.js';
import { listen, replyWithFaults, sendJson, type Answer } from '../http.js';
import { resolveCommon, type CommonSimOptions } from '../options.js';
import { rand } from '../random.js';
import { siteNames } from '../sites.js';
import {
  buildSiteNodes,
  latestReading,
  readingsBetween,
  type PrefectModelOptions,
  type PrefectNode,
  type PrefectReading,
} from './model.js';
import { PrefectRecord } from './record.js';

export interface PrefectSimOptions extends CommonSimOptions {
  /** Seconds between a node's reports (default 300). */
  reportIntervalS?: number;
  /** Probability that a report is lost, making a gap over 500 s (default 0.03). */
  dropoutRate?: number;
  /** Probability per node per day of an operator override (default 0.3). */
  overrideRate?: number;
  /** Bearer token per site (default: generated from the seed). */
  tokens?: Record<string, string>;
}

export interface PrefectSim {
  /** Base URL, as a deployment's: `http://127.0.0.1:<port>/apiv1/SiteApi/` (site paths go after it). */
  url: string;
  close(): Promise<void>;
  clock: SimClock;
  record: PrefectRecord;
  faults: Faults;
  /** Per site, the secret file's JSON for EP: `{ token }`. */
  credentials: Record<string, { token: string }>;
  /** Site names, upper-case as in paths. */
  sites: string[];
  /** The simulated nodes of a site (addresses, room names, load watts). */
  nodes(site: string): PrefectNode[];
  /** What a node had reported at an instant (epoch ms; default now), whether served or not. */
  readingAt(site: string, address: number, atMs?: number): PrefectReading | null;
}

export const PREFECT_BASE_PATH = '/apiv1/SiteApi/';

// ASP.NET Web API's own bodies, which is what the pre2000 service runs on.
const DENIED = { Message: 'Authorization has been denied for this request.' };
const ERROR = { Message: 'An error has occurred.' };
const INVALID = { Message: 'The request is invalid.' };

function statusJson(node: PrefectNode, r: PrefectReading): Record<string, unknown> {
  return {
    Address: node.address,
    AdjustedAtReceiver: r.adjustedAtReceiver,
    CurrentTemperature: r.currentTemperature,
    L1On: r.l1On,
    L2On: r.l2On,
    LastReceiveAt: r.receivedAt,
    ProgramName: r.programName,
    RoomName: node.roomName,
    SetPointTemperature: r.setPoint,
    TemperatureAdjustment: r.temperatureAdjustment,
    PresenceIsDetected: r.presence,
  };
}

function historyJson(r: PrefectReading): Record<string, unknown> {
  return {
    CurrentTemperature: r.currentTemperature,
    L1On: r.l1On,
    L2On: r.l2On,
    ProgramName: r.programName,
    ReceivedAt: r.receivedAt,
    SetPointTemperature: r.setPoint,
  };
}

/** Fault `missingField`: the first status object / history entry loses `CurrentTemperature`. */
function dropField(body: unknown): boolean {
  if (!Array.isArray(body)) return false;
  for (const item of body as Record<string, unknown>[]) {
    const target = Array.isArray(item.History) ? (item.History as Record<string, unknown>[])[0] : item;
    if (target && 'CurrentTemperature' in target) {
      delete target.CurrentTemperature;
      return true;
    }
  }
  return false;
}

const WHOLE = /^\d+$/;

/** Starts a Prefect (pre2000) SiteApi simulator. */
export async function startPrefectSim(options: PrefectSimOptions = {}): Promise<PrefectSim> {
  const c = resolveCommon(options);
  const sites = Array.isArray(c.siteNames) ? c.siteNames.map((s) => s.toUpperCase()) : siteNames(c.siteNames);
  const model: PrefectModelOptions = {
    seed: c.seed,
    reportIntervalS: options.reportIntervalS ?? 300,
    dropoutRate: options.dropoutRate ?? 0.03,
    overrideRate: options.overrideRate ?? 0.3,
    zone: c.zone,
    installedAtS: Math.floor(c.installedAtMs / 1000),
  };
  if (!(model.reportIntervalS >= 10))
    throw new Error(`reportIntervalS must be ≥ 10, got ${model.reportIntervalS}`);
  const nodesBySite = new Map(sites.map((s) => [s, buildSiteNodes(c.seed, s, c.nodes)]));
  const credentials: Record<string, { token: string }> = {};
  for (const s of sites) {
    const token =
      options.tokens?.[s] ??
      `pf-${s.toLowerCase()}-${Math.floor(rand(c.seed, 'token', s) * 2 ** 48).toString(16)}`;
    credentials[s] = { token };
  }
  const record = new PrefectRecord(c.pollIntervalMs, c.recordSamples);
  const faults = createFaults(c.seed, c.faults);
  const clock = c.clock;

  const liveNodes = (site: string) =>
    (nodesBySite.get(site) ?? []).filter((n) => !faults.isRemoved(site, n.address));
  const findNode = (site: string, address: number) => liveNodes(site).find((n) => n.address === address);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname.startsWith(CONTROL_PREFIX))
      return handleControl(req, res, { vendor: 'prefect', sites, clock, record, faults });
    const path = decodeURIComponent(url.pathname);
    const base = PREFECT_BASE_PATH.toLowerCase();
    if (!path.toLowerCase().startsWith(base)) {
      sendJson(res, 404, {
        Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
      });
      return;
    }
    const parts = path
      .slice(base.length)
      .split('/')
      .filter((p) => p !== '');
    // Routing is case-insensitive, as ASP.NET's is; EP sends the site upper-case as documented.
    const site = sites.find((s) => s === parts[0]?.toUpperCase());
    const action = parts[1]?.toLowerCase();
    const args = parts.slice(2);
    if (!site || !action) {
      sendJson(res, 404, {
        Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
      });
      return;
    }
    const kindByAction: Record<string, [string, number]> = {
      nodeaddresses: ['NodeAddresses', 0],
      nodestatus: ['NodeStatus', args.length === 0 ? 0 : 1],
      nodehistory: ['NodeHistory', 2],
      nodeconfiguration: ['NodeConfiguration', 1],
    };
    const route = kindByAction[action];
    if (!route || args.length !== route[1]) {
      sendJson(res, 404, {
        Message: `No HTTP resource was found that matches the request URI '${url.pathname}'.`,
      });
      return;
    }
    const kind = route[0];
    if (req.method !== 'GET') {
      record.countRequest(site, kind, 'http405');
      sendJson(res, 405, { Message: `The requested resource does not support http method '${req.method}'.` });
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${credentials[site]?.token}`) {
      record.countRequest(site, kind, 'refused');
      sendJson(res, 401, DENIED);
      return;
    }
    if (kind === 'NodeStatus' && args.length === 0) record.countPoll(site, clock.now());
    if (!args.every((a) => WHOLE.test(a))) {
      record.countRequest(site, kind, 'http400');
      sendJson(res, 400, INVALID);
      return;
    }
    const nums = args.map(Number);
    await replyWithFaults(
      res,
      {
        decision: faults.decide(site, kind === 'NodeStatus' && args.length === 0),
        errorBody: ERROR,
        dropField,
        count: (o) => record.countRequest(site, kind, o),
      },
      () => answer(site, kind, nums),
    );
  }

  function answer(site: string, kind: string, args: number[]): Answer {
    const nowS = Math.floor(clock.now() / 1000);
    switch (kind) {
      case 'NodeAddresses':
        return { status: 200, body: liveNodes(site).map((n) => n.address) };
      case 'NodeStatus': {
        const nodes =
          args.length === 0 ? liveNodes(site) : liveNodes(site).filter((n) => n.address === args[0]);
        const shown: [PrefectNode, PrefectReading][] = [];
        for (const n of nodes) {
          const r = latestReading(model, n, nowS);
          if (r) shown.push([n, r]);
        }
        const body = shown.map(([n, r]) => statusJson(n, r));
        return {
          status: 200,
          body,
          served: () =>
            shown.forEach(([n, r], i) => record.servedStatus(n, r, body[i] as Record<string, unknown>)),
        };
      }
      case 'NodeHistory': {
        const [daysAgo, address] = args as [number, number];
        const node = findNode(site, address);
        if (!node) return { status: 200, body: [] };
        // Days are UTC calendar days: 0 = today so far, 1 = yesterday, …
        const dayStart = (Math.floor(nowS / 86_400) - daysAgo) * 86_400;
        const readings = readingsBetween(model, node, dayStart, dayStart + 86_400, nowS);
        const history = readings.map(historyJson);
        const body = [{ Address: address, History: history }];
        return {
          status: 200,
          body,
          served: () =>
            readings.forEach((r, i) => record.servedHistory(node, r, history[i] as Record<string, unknown>)),
        };
      }
      case 'NodeConfiguration': {
        const node = findNode(site, args[0] as number);
        if (!node) return { status: 200, body: [] };
        return {
          status: 200,
          body: [
            {
              Address: node.address,
              L1LoadWatts: node.l1LoadWatts,
              L2LoadWatts: node.l2LoadWatts,
              RoomName: node.roomName,
            },
          ],
        };
      }
      default:
        throw new Error(`unrouted kind ${kind}`);
    }
  }

  const running = await listen(handle, c.host, c.port);
  return {
    url: `${running.origin}${PREFECT_BASE_PATH}`,
    close: running.close,
    clock,
    record,
    faults,
    credentials,
    sites,
    nodes: (site) => [...(nodesBySite.get(site.toUpperCase()) ?? [])],
    readingAt(site, address, atMs = clock.now()) {
      const node = nodesBySite.get(site.toUpperCase())?.find((n) => n.address === address);
      return node ? latestReading(model, node, Math.floor(atMs / 1000)) : null;
    },
  };
}
