export { createDb, createPool, pingDb, type DbOptions, type PoolOptions } from './db.js';
export {
  migrate,
  MigrationError,
  type Migration,
  type MigrateOptions,
  type MigrateResult,
} from './migrate.js';
export { typeParsers } from './type-parsers.js';
