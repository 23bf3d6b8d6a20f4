export { startTelemetry, type Telemetry, type TelemetryOptions } from './sdk.js';
export {
  extractTraceContext,
  injectTraceHeaders,
  tracer,
  withSpan,
  type HeaderCarrier,
} from './propagation.js';
