// What other packages (the operators' CLI, tests of other services) may use of the store:
// the migrations that own the schema.
export { migrations } from './db/migrations/index.js';
