// Two tiers (n8n-style): `unit` runs *.test.ts beside the source with no infrastructure;
// `integration` runs *.int.test.ts against real PostgreSQL, NATS, RabbitMQ and Mosquitto;
// `browser` runs *.browser.test.ts: headless Chromium against the real services (pnpm test:browser);
// `system` runs *.system.test.ts: all six services as processes with every source simulated
// (pnpm test:system, tools/system).
// Tests run as native ES modules (node --experimental-vm-modules) so ESM-only packages load as-is.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Source imports say `./x.js` (NodeNext); map them back to the `.ts` file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Workspace packages resolve to their TypeScript source, not their build output.
  testEnvironmentOptions: { customExportConditions: ['@ep/source', 'node', 'node-addons'] },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // jest's node environment, which also kills what a test file started and left running.
  testEnvironment: '<rootDir>/jest.environment.js',
};

export default {
  // A global option (ignored inside projects): integration tests wait on real servers.
  testTimeout: 60_000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: [
        '**/*.test.ts',
        '!**/*.int.test.ts',
        '!**/*.browser.test.ts',
        '!**/*.chart.test.ts',
        '!**/*.system.test.ts',
      ],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
    },
    { ...shared, displayName: 'browser', testMatch: ['**/*.browser.test.ts'] },
    { ...shared, displayName: 'system', testMatch: ['**/*.system.test.ts'] },
    // tools/chart-test: charts/ep rendered by a pinned Helm and checked (no cluster needed).
    { ...shared, displayName: 'chart', testMatch: ['**/*.chart.test.ts'] },
  ],
};
