export * from './edits.js';
export * from './metadata-csv.js';
