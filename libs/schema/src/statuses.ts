import { TESTSTAND_KINDS, type TeststandKind } from '@ep/contracts';

/**
 * The values stored in the schema's text columns, as `as const` arrays so API schemas can build
 * enums from them (`z.enum(UPLOAD_STATUSES)`) and as types for the columns.
 */

/**
 * `uploads.status`, in the order an upload goes through them: upload-ingest stores the file
 * (received), parses it (parsing), publishes its batches (publishing, with the total `batches`
 * set), marks them all published (published); measurement-store sets stored once every batch
 * landed. failed: the file was refused or nothing could be read from it.
 */
export const UPLOAD_STATUSES = [
  'received',
  'parsing',
  'publishing',
  'published',
  'stored',
  'failed',
] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

/** `teststand_messages.kind`: the message contract's kinds, stored as received. */
export { TESTSTAND_KINDS, type TeststandKind };

/** `api_keys.scopes`: what a key may do. Stored as text[]; a key holds at least one. */
export const SCOPES = [
  'read',
  'upload:siemens',
  'upload:alc',
  'teststand:command',
  /** Set-point writes to heating gateways (POST /api/v1/points/{id}/setpoint). */
  'control',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

/** `gateways.vendor`: the heating-gateway APIs gateway-poller speaks. */
export const VENDORS = ['prefect', 'secure'] as const;
export type Vendor = (typeof VENDORS)[number];

/** `setpoint_events.origin`: an operator at the receiver (or an EP write), or the schedule. */
export const SETPOINT_ORIGINS = ['override', 'schedule'] as const;
export type SetpointOrigin = (typeof SETPOINT_ORIGINS)[number];

/** `setpoint_writes.outcome`: the gateway took it, refused it, or no answer came in time. */
export const WRITE_OUTCOMES = ['accepted', 'refused', 'timed_out'] as const;
export type WriteOutcome = (typeof WRITE_OUTCOMES)[number];
/** `teststand_commands.outcome` (see its migration). */
export const TESTSTAND_COMMAND_OUTCOMES = ['pending', 'sent', 'refused', 'failed'] as const;
export type TeststandCommandOutcome = (typeof TESTSTAND_COMMAND_OUTCOMES)[number];
