// Heating gateways as people configure them and as their pollers report them: written once for
// query-api (/api/v1/admin/gateways, /api/v1/gateways), the CLI (`ep gateways …`) and
// gateway-poller's /status.
export {
  addGateway,
  listGatewayConfigs,
  removeGateway,
  GatewayConfigError,
  GATEWAY_NAME,
  type GatewayConfig,
} from './config.js';
export { listGatewayStatus, type GatewayStatus } from './status.js';
