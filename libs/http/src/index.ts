export { createHttpServer, type HttpServer, type HttpServerOptions } from './server.js';
export {
  errorHandler,
  errorResponseSchema,
  HttpError,
  notFoundHandler,
  type ErrorDetail,
  type ErrorResponse,
} from './errors.js';
export { opsPlugin, type OpsOptions } from './ops.js';
export { runChecks, type CheckResult, type ReadinessCheck } from './readiness.js';
export { httpResource, type HttpResourceOptions } from './resource.js';
