import type { ColumnType, Generated } from 'kysely';

/**
 * The tables upload-ingest reads or writes, as the store's migrations define them. `uploads` is
 * this service's own table; `sites` and `api_keys` are only read.
 */
export interface Database {
  sites: {
    id: Generated<number>;
    key: string;
    name: string;
    timezone: string;
  };
  api_keys: {
    id: Generated<number>;
    name: string;
    prefix: string;
    hash: string;
    scopes: string[];
    site_id: number | null;
    revoked_at: Date | null;
    last_used_at: Date | null;
  };
  uploads: {
    id: string;
    kind: string;
    format: string | null;
    filename: string | null;
    sha256: string;
    size: number;
    site_id: number;
    uploader: string | null;
    received_at: ColumnType<Date, never, never>;
    updated_at: ColumnType<Date, string | undefined, string | Date>;
    status: string;
    points: ColumnType<number, number | undefined, number>;
    samples: ColumnType<number, number | undefined, number>;
    samples_stored: ColumnType<number, never, never>;
    batches: ColumnType<number, number | undefined, number>;
    batches_stored: ColumnType<number, never, never>;
    rejected: ColumnType<number, number | undefined, number>;
    errors: ColumnType<unknown, string | undefined, string>;
    raw: ColumnType<Buffer, Buffer, Buffer>;
  };
}
