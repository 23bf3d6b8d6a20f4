import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Vendor } from '../db/schema.js';
import { GatewayError } from './vendor-http.js';

const PrefectSecret = z.object({ token: z.string().min(1) });
const SecureSecret = z.object({ email: z.string().min(1), password: z.string().min(1) });

export type GatewaySecret =
  { vendor: 'prefect'; token: string } | { vendor: 'secure'; email: string; password: string };

/**
 * Reads a gateway's credentials from the file `<name>` in EP_GATEWAY_SECRETS_DIR (a mounted
 * Kubernetes Secret), every poll, so a rotated secret is used without a restart. Errors name the
 * file and what is wrong with it, never its contents.
 */
export async function readGatewaySecret(dir: string, name: string, vendor: Vendor): Promise<GatewaySecret> {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new GatewayError('no_secret', `secret file ${name} in EP_GATEWAY_SECRETS_DIR: ${code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError('no_secret', `secret file ${name} is not JSON`);
  }
  if (vendor === 'prefect') {
    const parsed = PrefectSecret.safeParse(json);
    if (!parsed.success) throw new GatewayError('no_secret', `secret file ${name} must be {"token": "…"}`);
    return { vendor, token: parsed.data.token };
  }
  const parsed = SecureSecret.safeParse(json);
  if (!parsed.success)
    throw new GatewayError('no_secret', `secret file ${name} must be {"email": "…", "password": "…"}`);
  return { vendor, email: parsed.data.email, password: parsed.data.password };
}
