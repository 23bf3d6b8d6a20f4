import type { TeststandCommandOutcome } from '@ep/schema';

/** What a client sees of a command: the broker's answer, then the stand's. */
export const COMMAND_STATES = ['pending', 'answered', 'no answer', 'refused', 'failed'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

/**
 * pending: not yet sent, or sent and the stand may still answer; answered: a status came back
 * within the window; no answer: the window passed without one; refused / failed: never reached
 * the stand (the broker refused it, or no handler answered).
 */
export function commandState(
  outcome: TeststandCommandOutcome,
  sentAt: Date | null,
  replied: boolean,
  replyWindowMs: number,
  now: Date,
): CommandState {
  if (outcome === 'refused' || outcome === 'failed') return outcome;
  if (replied) return 'answered';
  if (outcome === 'sent' && sentAt && now.getTime() >= sentAt.getTime() + replyWindowMs) return 'no answer';
  return 'pending';
}
