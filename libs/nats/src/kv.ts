import type { JetStreamManager } from '@nats-io/jetstream';

/**
 * The keys of KV bucket `bucket` matching `filter` (a subject pattern over keys, `>` for all),
 * read from the bucket's stream in one request. A deleted or purged key is listed too while its
 * marker is the key's last message: read the entry (`kv.get`) to tell.
 *
 * Why not `KV.keys()`: @nats-io/kv (3.4) creates a push consumer per call, and its iterator can
 * wait for ever when the bucket is written while it runs (here, about one call in four while
 * another client updated a key every few ms). The replicas of a service write their shared
 * bucket all the time, so a liveness check or lease round that lists keys would stop for good.
 */
export async function kvKeys(jsm: JetStreamManager, bucket: string, filter = '>'): Promise<string[]> {
  const prefix = `$KV.${bucket}.`;
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${prefix}${filter}` });
  return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
}
