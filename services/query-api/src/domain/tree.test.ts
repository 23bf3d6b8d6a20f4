import { describe, expect, it } from '@jest/globals';
import { buildTree } from './tree.js';

describe('the site tree', () => {
  it('groups ordered points into nodes, devices and parameters, keeping their order', () => {
    const points = [
      { node: 'BOILER', device: 'B1', parameter: 'T', id: 3 },
      { node: 'BOILER', device: 'B1', parameter: 'P', id: 4 },
      { node: 'BOILER', device: 'B2', parameter: 'T', id: 5 },
      { node: 'LIBRARY', device: 'B1', parameter: 'T', id: 1 },
    ];
    expect(buildTree(points, (p) => p.id)).toEqual([
      {
        node: 'BOILER',
        devices: [
          { device: 'B1', parameters: [3, 4] },
          { device: 'B2', parameters: [5] },
        ],
      },
      { node: 'LIBRARY', devices: [{ device: 'B1', parameters: [1] }] },
    ]);
    expect(buildTree([], (p) => p)).toEqual([]);
  });
});
