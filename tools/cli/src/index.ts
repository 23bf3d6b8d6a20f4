// The CLI is used from the command line; tests and scripts may run it in-process.
export { runCli, canonicalZone, EXIT, USAGE, type CliIo } from './cli.js';
