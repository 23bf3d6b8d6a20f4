export * from './keys.js';
export * from './guard.js';
