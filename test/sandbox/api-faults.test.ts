// Request-level faults of the sandbox API server: seeded 500 fraction, injected latency, hung-then-dropped requests,
// a 409 storm on one object — all through real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearFaults } from '../../src/sandbox/faults.js';
import { startTestApi, type TestApi } from './contract/harness.js';

describe('sandbox API server faults', () => {
  let api: TestApi;
  beforeAll(async () => { api = await startTestApi(); });
  afterAll(async () => { await api.close(); });

  const codes = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) { const r = await api.fetch('/api/v1/nodes'); await r.arrayBuffer(); out.push(r.status); }
    return out;
  };

  it('answers a seeded fraction of requests with 500 InternalError, reproducibly', async () => {
    Object.assign(api.faults, { errorRate: 0.3, seed: 42 });
    const first = await codes(60);
    clearFaults(api.faults);
    Object.assign(api.faults, { errorRate: 0.3, seed: 42 });
    const second = await codes(60);
    clearFaults(api.faults);
    expect(second).toEqual(first);
    const errors = first.filter((c) => c === 500).length;
    expect(errors).toBeGreaterThan(5);
    expect(errors).toBeLessThan(35);
    expect(new Set(first)).toEqual(new Set([200, 500]));
    Object.assign(api.faults, { errorRate: 1, seed: 1 });
    const r = await api.fetch('/api/v1/namespaces/kube-system/configmaps/kube-proxy');
    clearFaults(api.faults);
    expect(r.status).toBe(500);
    expect(await r.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'InternalError', code: 500 });
    expect((await codes(5)).every((c) => c === 200)).toBe(true);
  });

  it('delays requests by the injected latency', async () => {
    Object.assign(api.faults, { latencyMs: 150 });
    const t0 = performance.now();
    const r = await api.fetch('/api/v1/nodes');
    const took = performance.now() - t0;
    clearFaults(api.faults);
    expect(r.status).toBe(200);
    expect(took).toBeGreaterThanOrEqual(145); // a lower bound on injected delay, not a performance claim
  });

  it('hangs and then drops the connection for a timeout fault', async () => {
    Object.assign(api.faults, { timeoutRate: 1, timeoutMs: 100, seed: 7 });
    await expect(api.fetch('/api/v1/nodes')).rejects.toThrow();
    clearFaults(api.faults);
    expect((await api.fetch('/api/v1/nodes')).status).toBe(200);
  });

  it('answers 409 Conflict to the next N writes of one object only', async () => {
    api.faults.conflictStorm = { resource: 'configmaps', namespace: 'kube-system', name: 'kube-proxy', count: 2 };
    const patch = (name: string) => api.fetch(`/api/v1/namespaces/kube-system/configmaps/${name}`, {
      method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { storm: name } }) });
    const a = await patch('kube-proxy');
    expect(a.status).toBe(409);
    expect(await a.json()).toMatchObject({ reason: 'Conflict', details: { name: 'kube-proxy', kind: 'configmaps' } });
    expect((await patch('coredns')).status).toBe(200); // other objects unaffected
    expect((await api.fetch('/api/v1/namespaces/kube-system/configmaps/kube-proxy')).status).toBe(200); // reads unaffected
    expect((await patch('kube-proxy')).status).toBe(409);
    expect((await patch('kube-proxy')).status).toBe(200);
    expect(api.faults.conflictStorm.count).toBe(0);
  });
});
