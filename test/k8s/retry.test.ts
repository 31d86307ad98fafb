import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { K8sError } from '../../src/k8s/errors.js';
import { backoffDelay, withRetry } from '../../src/k8s/retry.js';

const status = (code: number) => new ApiException(code, 'x', JSON.stringify({ kind: 'Status', code, message: `status ${code}` }), {});

describe('src/k8s/retry', () => {
  it('retries 500s with growing, capped, jittered delays and then succeeds', async () => {
    const sleeps: number[] = [];
    let calls = 0;
    const r = await withRetry({ attempts: 5, baseDelayMs: 100, maxDelayMs: 300, sleep: async (ms) => { sleeps.push(ms); }, random: () => 0.999 }, 'op', async () => {
      calls++;
      if (calls < 4) throw status(500);
      return 'done';
    });
    expect(r).toBe('done');
    expect(calls).toBe(4);
    expect(sleeps).toEqual([99, 199, 299]);
  });

  it('gives up after the configured attempts with the normalised error', async () => {
    let calls = 0;
    const p = withRetry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }, 'list nodes', async () => { calls++; throw status(503); });
    await expect(p).rejects.toMatchObject({ kind: 'Transient', status: 503, message: 'list nodes: status 503' });
    expect(calls).toBe(3);
  });

  it('never retries a Conflict, Forbidden or NotFound', async () => {
    for (const code of [409, 403, 404]) {
      let calls = 0;
      await expect(withRetry({ attempts: 5, baseDelayMs: 1, maxDelayMs: 1, sleep: async () => {} }, 'op', async () => { calls++; throw status(code); }))
        .rejects.toBeInstanceOf(K8sError);
      expect(calls).toBe(1);
    }
  });

  it('honours Retry-After up to the cap', () => {
    expect(backoffDelay({ attempts: 5, baseDelayMs: 100, maxDelayMs: 5000, random: () => 0 }, 0, 2)).toBe(2000);
    expect(backoffDelay({ attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 }, 0, 30)).toBe(1000);
  });
});
