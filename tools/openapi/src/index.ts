export { clientTypes } from './client.js';
