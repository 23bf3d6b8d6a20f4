import { redactString } from '@ep/logger';

/** A dependency the service needs to do its work; `check` rejects when it is not usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Why the check failed, credentials masked. */
  error?: string;
}

function withTimeout(run: () => Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  // `Promise.resolve().then(run)` turns a check that throws synchronously into a rejection.
  return Promise.race([Promise.resolve().then(run), timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs every check at once, each bounded by `timeoutMs`, and reports each one. Never rejects.
 * A check that hangs must not hold the probe past its own timeout, or the kubelet sees a timeout
 * instead of a 503 that says which dependency is down.
 */
export async function runChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, check }): Promise<CheckResult> => {
      try {
        await withTimeout(check, timeoutMs);
        return { name, ok: true };
      } catch (err) {
        // Error texts can contain connection URLs; /readyz must not hand out credentials.
        return { name, ok: false, error: redactString(err instanceof Error ? err.message : String(err)) };
      }
    }),
  );
}
