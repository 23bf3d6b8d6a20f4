export {
  formatTable,
  runSuite,
  toResult,
  writeReport,
  type BenchContext,
  type BenchReport,
  type BenchResult,
  type Measurement,
  type Suite,
} from './harness.js';
export { suites } from './suites/index.js';
