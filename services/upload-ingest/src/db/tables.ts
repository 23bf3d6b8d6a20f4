import type { Database } from '@ep/schema';

/** The tables upload-ingest touches: its own `uploads`, and `sites` and `api_keys` it only reads. */
export type IngestTables = Pick<Database, 'uploads' | 'sites' | 'api_keys'>;
