/** A point as a leaf of its site's tree. */
export interface TreeLeaf {
  node: string;
  device: string;
}

export interface TreeDevice<L> {
  device: string;
  parameters: L[];
}

export interface TreeNode<L> {
  node: string;
  devices: TreeDevice<L>[];
}

/**
 * Groups points already ordered by (node, device) into the hierarchy site → node → device →
 * parameter, keeping that order; `leaf` shapes each point.
 */
export function buildTree<P extends TreeLeaf, L>(points: readonly P[], leaf: (p: P) => L): TreeNode<L>[] {
  const nodes: TreeNode<L>[] = [];
  let node: TreeNode<L> | undefined;
  let device: TreeDevice<L> | undefined;
  for (const p of points) {
    if (node?.node !== p.node) {
      node = { node: p.node, devices: [] };
      nodes.push(node);
      device = undefined;
    }
    if (device?.device !== p.device) {
      device = { device: p.device, parameters: [] };
      node.devices.push(device);
    }
    device.parameters.push(leaf(p));
  }
  return nodes;
}
