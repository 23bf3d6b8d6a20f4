import { GatewayError, joinUrl, requestJson } from './vendor-http.js';

export interface PrefectClientOptions {
  /** e.g. https://pre2000.co.uk/apiv1/SiteApi/ */
  baseUrl: string;
  /** The site as the gateway names it; upper-cased in paths (BADOCK). */
  site: string;
  token: string;
  timeoutMs: number;
}

/** The Prefect SiteApi: bearer token per site, JSON answers (samples/prefect/API.md). */
export interface PrefectClient {
  nodeStatus(): Promise<unknown>;
  /** `NodeStatus/{address}`: one node's latest report. */
  nodeStatusOf(address: number): Promise<unknown>;
  nodeHistory(daysAgo: number, address: number): Promise<unknown>;
  nodeConfiguration(address: number): Promise<unknown>;
}

export function createPrefectClient(options: PrefectClientOptions): PrefectClient {
  const site = encodeURIComponent(options.site.toUpperCase());
  const get = async (path: string) => {
    const { body } = await requestJson({
      method: 'GET',
      url: joinUrl(options.baseUrl, `${site}/${path}`),
      headers: { authorization: `Bearer ${options.token}` },
      timeoutMs: options.timeoutMs,
    });
    return body;
  };
  return {
    nodeStatus: () => get('NodeStatus'),
    nodeStatusOf: (address) => get(`NodeStatus/${address}`),
    nodeHistory: (daysAgo, address) => {
      if (!Number.isInteger(daysAgo) || daysAgo < 0)
        throw new GatewayError('bad_answer', `daysAgo ${daysAgo}`);
      return get(`NodeHistory/${daysAgo}/${address}`);
    },
    nodeConfiguration: (address) => get(`NodeConfiguration/${address}`),
  };
}
