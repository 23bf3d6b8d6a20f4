import type { Database } from '@ep/schema';

/** The tables gateway-poller reads or writes (declared once, in @ep/schema). */
export type GatewayDatabase = Pick<
  Database,
  'gateways' | 'gateway_status' | 'setpoint_events' | 'poll_state' | 'sites'
>;
export { VENDORS, type Vendor } from '@ep/schema';
