// Writes docs/messages.md from the schemas: `pnpm docs:messages`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMessagesDoc } from '../src/docs.js';

const target = fileURLToPath(new URL('../../../docs/messages.md', import.meta.url));
writeFileSync(target, renderMessagesDoc());
console.log(`wrote ${target}`);
