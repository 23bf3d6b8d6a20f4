/**
 * Simulators of the two heating-gateway cloud APIs EP polls (see README.md): HTTP servers with
 * the vendors' paths, answer shapes and auth, a simulated clock, a record of everything served
 * and fault injection.
 */
export { createClock, type ClockOptions, type SimClock } from './clock.js';
export { FAULT_KINDS, type FaultKind, type FaultSettings, type Faults } from './faults.js';
export { formatLocal, parseLocal } from './london.js';
export type { CommonSimOptions } from './options.js';
export {
  QUALITY_GOOD,
  QUALITY_NO_DATA,
  type PollCount,
  type RecordedSample,
  type RecordedSeries,
  type RequestCount,
  type SeriesFilter,
  type SetPointEvent,
  type SimRecord,
  type WriteRecord,
} from './record.js';
export { siteNames } from './sites.js';
export { NO_SET_POINT, type PrefectNode, type PrefectReading } from './prefect/model.js';
export { ENERGY_MAX_GAP_S, PrefectRecord } from './prefect/record.js';
export {
  PREFECT_BASE_PATH,
  startPrefectSim,
  type PrefectSim,
  type PrefectSimOptions,
} from './prefect/server.js';
export {
  DP_NAMES,
  parameterName,
  type SecureDevice,
  type SecureGateway,
  type SecureZone,
} from './secure/model.js';
export { SecureRecord } from './secure/record.js';
export { contentMd5, dateHeader, md5Hex, sign, signedHeaders, stringToSign } from './secure/signing.js';
export { startSecureSim, type SecureSim, type SecureSimOptions } from './secure/server.js';
