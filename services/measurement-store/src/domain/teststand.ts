import type { TeststandEvent } from '@ep/contracts';

/** Power codes a stand reports: 600 device on, 610 device off (PROTOCOL.md). */
export const POWER_ON = 600;

/**
 * What a message changes in its stand's state, or undefined when it changes nothing. Only what
 * the stand itself sent counts: inbound messages refresh last_seen, and a valid `status` message
 * with a code ≥ 600 sets the power state, any other code the status (legacy behaviour).
 */
/** What one message changes in its stand's state (db/teststands.repo.ts applies it). */
export interface StandChange {
  stand: string;
  module: string;
  seenAt: string;
  powerCode?: number;
  statusCode?: number;
}

export function standChange(event: TeststandEvent): StandChange | undefined {
  if (event.direction !== 'inbound') return undefined;
  const change: StandChange = { stand: event.stand, module: event.module, seenAt: event.receivedAt };
  if (event.valid && event.kind === 'status' && event.statusCode !== undefined) {
    if (event.statusCode >= POWER_ON) change.powerCode = event.statusCode;
    else change.statusCode = event.statusCode;
  }
  return change;
}

/** A stand is ready when its status is 200 and its power is on (600). */
export function standReady(powerCode: number | null, statusCode: number | null): boolean {
  return powerCode === POWER_ON && statusCode === 200;
}
