import { describe, expect, it } from 'vitest';
import { RolloutError, batchSize, parseBatchSpec, planRollout } from '../../src/k8s/rollout.js';

const nodes = (workers: number, cps: number) => [
  ...Array.from({ length: cps }, (_, i) => ({ name: `cp-${i + 1}`, controlPlane: true })),
  ...Array.from({ length: workers }, (_, i) => ({ name: `worker-${i + 1}`, controlPlane: false })),
];

describe('src/k8s/rollout', () => {
  it('uses the first worker as canary and puts control-plane nodes last, one per batch', () => {
    expect(planRollout(nodes(4, 2), 2)).toEqual({
      canary: 'worker-1',
      batches: [['worker-2', 'worker-3'], ['worker-4'], ['cp-1'], ['cp-2']],
    });
  });

  it('orders names naturally (worker-2 before worker-10)', () => {
    const order = planRollout(nodes(11, 0), 1);
    expect(order.canary).toBe('worker-1');
    expect(order.batches.flat().slice(0, 2)).toEqual(['worker-2', 'worker-3']);
    expect(order.batches.flat().at(-1)).toBe('worker-11');
  });

  it('computes percentage batches from all nodes, rounding up', () => {
    const order = planRollout(nodes(20, 0), '25%');
    expect(order.batches.map((b) => b.length)).toEqual([5, 5, 5, 4]);
    expect(batchSize(parseBatchSpec('1%'), 50)).toBe(1);
    expect(batchSize(parseBatchSpec('100%'), 7)).toBe(7);
  });

  it('falls back to a control-plane canary on a control-plane-only cluster', () => {
    expect(planRollout(nodes(0, 1))).toEqual({ canary: 'cp-1', batches: [] });
  });

  it('covers every node exactly once', () => {
    const order = planRollout(nodes(37, 3), '10%');
    const all = [order.canary, ...order.batches.flat()];
    expect(new Set(all).size).toBe(40);
    expect(all.length).toBe(40);
  });

  it('rejects malformed batch specs and empty or duplicate node lists', () => {
    for (const bad of ['0', '0%', '101%', 'ten', '5 %%', '-1', '']) expect(() => parseBatchSpec(bad)).toThrow(RolloutError);
    expect(() => parseBatchSpec(0)).toThrow(RolloutError);
    expect(() => parseBatchSpec(1.5)).toThrow(RolloutError);
    expect(() => planRollout([])).toThrow(/no nodes/);
    expect(() => planRollout([{ name: 'a', controlPlane: false }, { name: 'a', controlPlane: false }])).toThrow(/twice/);
  });
});
