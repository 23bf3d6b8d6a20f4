import { describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_UPLOADS, epArgs, openHints, optionalParts, simListening, tableColumn } from './demo.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe("make dev's demo pieces", () => {
  it("reads gateway-sim's --print-ep-commands lines and ignores everything else", () => {
    expect(epArgs('pnpm ep sites add badock --tz Europe/London')).toEqual([
      'sites',
      'add',
      'badock',
      '--tz',
      'Europe/London',
    ]);
    expect(
      epArgs(
        'pnpm ep gateways add prefect-badock --site badock --vendor prefect --url http://127.0.0.1:8201/apiv1/SiteApi/ --interval 300',
      ),
    ).toHaveLength(11);
    expect(epArgs('{"level":30,"msg":"pnpm ep is fine"}')).toBeUndefined();
    expect(
      simListening('{"vendor":"secure","url":"http://127.0.0.1:8202","sites":["BADOCK"],"secretsDir":null}'),
    ).toEqual({ vendor: 'secure', url: 'http://127.0.0.1:8202', sites: ['BADOCK'] });
    expect(simListening('{"level":30}')).toBeUndefined();
    expect(simListening('{not json')).toBeUndefined();
  });

  it("takes a column of the CLI's tables", () => {
    const lines = [
      'id  name  prefix    scopes  site  created_at                revoked_at',
      '1   demo  abcd1234  admin   -     2026-12-02T18:00:00.000Z  -',
      '2   me    efgh5678  read    -     2026-12-02T18:00:00.000Z  2026-12-02T18:01:00.000Z',
    ];
    expect(tableColumn(lines, 'prefix')).toEqual(['abcd1234', 'efgh5678']);
    expect(tableColumn(lines, 'revoked_at')).toEqual(['-', '2026-12-02T18:01:00.000Z']);
    expect(tableColumn(lines, 'nope')).toEqual([]);
  });

  it('runs a simulator only when what consumes it is in the checkout, and says why not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'devstack-'));
    expect(optionalParts(dir, 'gateways add')).toEqual({
      gatewaysSkipped: 'services/gateway-poller is not in this checkout',
      teststandsSkipped: 'services/teststand-handler is not in this checkout',
    });
    for (const path of [
      'services/gateway-poller/src',
      'tools/gateway-sim',
      'services/teststand-handler/src',
      'tools/teststand-sim',
    ]) {
      mkdirSync(join(dir, path), { recursive: true });
    }
    for (const file of [
      'services/gateway-poller/src/main.ts',
      'tools/gateway-sim/package.json',
      'services/teststand-handler/src/main.ts',
      'tools/teststand-sim/package.json',
    ]) {
      writeFileSync(join(dir, file), '');
    }
    expect(optionalParts(dir, 'sites add')).toEqual({
      gatewaysSkipped: 'the CLI has no `ep gateways add`',
      teststandsSkipped: null,
    });
    expect(optionalParts(dir, '  gateways add <name> --site …')).toEqual({
      gatewaysSkipped: null,
      teststandsSkipped: null,
    });
  });

  it("uploads the repository's own fixtures, which exist", () => {
    for (const { file } of DEMO_UPLOADS) expect(existsSync(join(root, file))).toBe(true);
  });

  it('prints a new key once and only points at the file afterwards', () => {
    expect(openHints('ep_x_y', '.dev/demo-key', true, 'carleton').join('\n')).toContain('ep_x_y');
    expect(openHints('ep_x_y', '.dev/demo-key', false, 'carleton').join('\n')).not.toContain('ep_x_y');
  });
});
