export { startTelemetry, type Telemetry, type TelemetryOptions } from './sdk.js';
export {
  extractTraceContext,
  injectTraceHeaders,
  nextHopTraceHeaders,
  startMessageSpan,
  tracer,
  withSpan,
  type HeaderCarrier,
  type MessageSpan,
} from './propagation.js';
