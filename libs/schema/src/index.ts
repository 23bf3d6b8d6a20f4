// The database schema, the contract between the services: migrations, the tables (each declared
// once) and the values stored in their status columns. No queries: each service owns its own.
export type {
  Database,
  SitesTable,
  PointsTable,
  MeasurementsTable,
  MeasurementsHourlyTable,
  MeasurementsDailyTable,
  BatchesTable,
  UploadsTable,
  TeststandsTable,
  TeststandMessagesTable,
  TeststandCommandsTable,
  ApiKeysTable,
  PollStateTable,
  RejectedMessagesTable,
  GatewaysTable,
  GatewayStatusTable,
  SetpointEventsTable,
  SetpointWritesTable,
} from './database.js';
export { migrations } from './migrations/index.js';
export { migrateToLatest } from './migrate.js';
export {
  UPLOAD_SUMMARY_COLUMNS,
  POINT_DESCRIPTION_COLUMNS,
  qualified,
  narrowTo,
  type PointDescriptionColumn,
} from './columns.js';
export {
  UPLOAD_STATUSES,
  TESTSTAND_KINDS,
  TESTSTAND_COMMAND_OUTCOMES,
  SCOPES,
  VENDORS,
  SETPOINT_ORIGINS,
  WRITE_OUTCOMES,
  type Vendor,
  type SetpointOrigin,
  type WriteOutcome,
  type UploadStatus,
  type TeststandKind,
  type TeststandCommandOutcome,
  type Scope,
} from './statuses.js';
