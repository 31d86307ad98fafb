// Retries with exponential backoff and full jitter, for retryable K8sErrors only (429, 5xx, timeouts, resets).
// A Conflict, Forbidden or NotFound goes straight back to the caller.
import { toK8sError } from './errors.js';

export interface RetryPolicy {
  /** Total tries, including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** K8sError.reason of a request that got no answer within its bound. */
export const NO_ANSWER = 'NoAnswer';

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000 };

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterSeconds?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.floor((policy.random ?? Math.random)() * cap);
  return retryAfterSeconds !== undefined ? Math.max(jittered, Math.min(retryAfterSeconds * 1000, policy.maxDelayMs)) : jittered;
}

export async function withRetry<T>(policy: RetryPolicy, what: string, fn: () => Promise<T>, onRetry?: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const err = toK8sError(e, what);
      // A server that did not answer within the bound is not asked again here: five silent tries were ~150 s of
      // a Slack command (issue #14 item 9). The error stays retryable for the caller (a step's own backoff).
      if (!err.retryable || err.reason === NO_ANSWER || attempt + 1 >= policy.attempts) throw err;
      onRetry?.();
      await (policy.sleep ?? defaultSleep)(backoffDelay(policy, attempt, err.retryAfterSeconds));
    }
  }
}
