export * from './keys.js';
export * from './guard.js';
export * from './lookup.js';
export * from './keys.repo.js';
