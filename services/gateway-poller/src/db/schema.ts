import type { Database } from '@ep/schema';

/**
 * The tables gateway-poller reads or writes (declared once, in @ep/schema). Set-point events are
 * not among them: they travel in readings batches and measurement-store writes them.
 */
export type GatewayDatabase = Pick<Database, 'gateways' | 'gateway_status' | 'poll_state' | 'sites'>;
export { VENDORS, type Vendor } from '@ep/schema';
