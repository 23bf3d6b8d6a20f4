// For other packages' tests and the benchmark: the API as a service to start in-process.
export { createQueryApi, type QueryApi } from './query-api.js';
export { parseQueryApiConfig, type QueryApiConfig } from './config.js';
export { queryApi, type AppDeps } from './app.js';
export { natsSetpointControl, type SetpointControl } from './routes/gateways.js';
