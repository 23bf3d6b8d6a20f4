// A site's points as the tree people know from the building: node → device → parameter.

export interface PointInfo {
  id: number;
  site: string;
  node: string;
  device: string;
  parameter: string;
  name: string;
  unit: string | null;
  kind: string | null;
  description: string | null;
  intervalSeconds: number | null;
  firstTs: string | null;
  lastTs: string | null;
  lastValue: number | null;
  lastQuality: number | null;
  states: Record<string, string> | null;
}

export interface TreeNode {
  node: string;
  devices: { device: string; points: PointInfo[] }[];
}

const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export function buildTree(points: readonly PointInfo[]): TreeNode[] {
  const nodes = new Map<string, Map<string, PointInfo[]>>();
  for (const p of points) {
    const devices = nodes.get(p.node) ?? new Map<string, PointInfo[]>();
    nodes.set(p.node, devices);
    const list = devices.get(p.device) ?? [];
    devices.set(p.device, list);
    list.push(p);
  }
  return [...nodes.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([node, devices]) => ({
      node,
      devices: [...devices.entries()]
        .sort(([a], [b]) => byName(a, b))
        .map(([device, list]) => ({ device, points: list.sort((a, b) => byName(a.parameter, b.parameter)) })),
    }));
}

/**
 * Points matching every word of the search in their name, node, device, parameter, unit, kind or
 * description (case-insensitive); `unit:kWh` and `kind:state` match that field exactly.
 */
export function searchPoints(points: readonly PointInfo[], query: string): PointInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...points];
  return points.filter((p) => {
    const hay = [p.name, p.node, p.device, p.parameter, p.unit, p.kind, p.description]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    return words.every((w) => {
      const field = /^(unit|kind):(.+)$/.exec(w);
      if (field) return (p[field[1] as 'unit' | 'kind'] ?? '').toLowerCase() === field[2];
      return hay.includes(w);
    });
  });
}
