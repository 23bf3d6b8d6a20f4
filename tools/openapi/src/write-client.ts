import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientTypes } from './client.js';

// Writes the query-api client types the query-api tests use, from docs/openapi/query-api.json
// (run src/export.ts first: `pnpm openapi:client` does both).
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const document = JSON.parse(await readFile(join(root, 'docs/openapi/query-api.json'), 'utf8')) as object;
const out = join(root, 'services/query-api/test/client/query-api.ts');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, await clientTypes(document));
console.log(`wrote ${out.slice(root.length + 1)}`);
