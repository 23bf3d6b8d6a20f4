import type { Migration } from 'kysely';
import * as gateways from './2026_12_02_0020_gateways.js';

/** The gateway migrations (numbers 0020–0029); run after the store's. */
export const gatewayMigrations: Record<string, Migration> = {
  '2026_12_02_0020_gateways': gateways,
};
