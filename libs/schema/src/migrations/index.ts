import type { Migration } from 'kysely';
import * as initial from './2026_11_22_0001_initial.js';
import * as uploadStatusSettled from './2026_12_02_0002_upload_status_settled.js';
import * as teststandCommands from './2026_12_02_0010_teststand_commands.js';
import * as gateways from './2026_12_02_0020_gateways.js';
import * as pointEdits from './2026_12_02_0031_point_edits.js';
import * as teststandLivenessIndex from './2026_12_03_0040_teststand_liveness_index.js';
import * as teststandDeliveryKey from './2026_12_03_0050_teststand_delivery_key.js';

/** Every migration, in order. Names sort by time; a released migration is never edited. */
export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_initial': initial,
  '2026_12_02_0002_upload_status_settled': uploadStatusSettled,
  '2026_12_02_0010_teststand_commands': teststandCommands,
  '2026_12_02_0020_gateways': gateways,
  '2026_12_02_0031_point_edits': pointEdits,
  '2026_12_03_0040_teststand_liveness_index': teststandLivenessIndex,
  '2026_12_03_0050_teststand_delivery_key': teststandDeliveryKey,
};
