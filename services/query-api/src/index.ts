// For the benchmark and other packages' tests: the API as a server to start in-process.
export { buildServer, queryApi, type AppDeps } from './app.js';
