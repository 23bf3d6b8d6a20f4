/** A stand's liveness as the handler replicas share it (NATS KV, one entry per stand). */
export interface StandLiveness {
  stand: string;
  /** Last time any replica received a message from the stand (ISO). */
  lastSeen: string;
  online: boolean;
  /**
   * The entry's last transition, written with it and cleared once its event was published: a
   * replica stopped (or killed) in between leaves it here for the next check to publish.
   */
  unannounced?: Transition;
}

/** An `online` / `offline` change of a stand, as its event will say it. */
export interface Transition {
  /** Deterministic: the stand's key, the kind, the revision the change replaced and the bucket's epoch. */
  eventId: string;
  kind: 'online' | 'offline';
  /** The stand's last message (ISO): an offline event does not make it look more recent. */
  receivedAt: string;
  /** When the replica that made the change wrote it (ISO, its clock). */
  writtenAt: string;
}

/**
 * Whether a transition still in an entry was left there (its replica stopped, or its publish
 * failed) rather than being published right now by the replica that wrote it: older than `graceMs`.
 */
export function leftUnannounced(t: Transition, now: Date, graceMs: number): boolean {
  return now.getTime() - Date.parse(t.writtenAt) > graceMs;
}

/**
 * The entry after a stand was heard at `seenAt`, and whether it thereby came (back) online;
 * undefined when the entry already says as much (nothing to write).
 */
export function afterSeen(
  current: StandLiveness | undefined,
  stand: string,
  seenAt: Date,
): { next: StandLiveness; cameOnline: boolean } | undefined {
  if (current && current.online && new Date(current.lastSeen) >= seenAt) return undefined;
  const lastSeen = current && new Date(current.lastSeen) > seenAt ? current.lastSeen : seenAt.toISOString();
  return { next: { stand, lastSeen, online: true }, cameOnline: !current?.online };
}

/** Whether an online stand has been silent longer than `offlineAfterMs` at `now`. */
export function wentSilent(current: StandLiveness, now: Date, offlineAfterMs: number): boolean {
  return current.online && now.getTime() - new Date(current.lastSeen).getTime() > offlineAfterMs;
}
