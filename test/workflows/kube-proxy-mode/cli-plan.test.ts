import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { planCommand } from '../../../src/cli/plan.js';
import { FakeCluster } from '../../fixtures/builders/fake-cluster.js';
import { aCluster, aNode } from '../../fixtures/builders/cluster-facts.js';
import { CLUSTER } from './harness-config.js';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString(); });
  return { out, text: () => text };
}

describe('src/cli/plan', () => {
  it('prints the plan read-only and exits 0 when nothing blocks', async () => {
    const fake = new FakeCluster(aCluster());
    const o = capture();
    const code = await planCommand(['cluster-a', '--scheduler', 'wrr', '--batch', '50%'], { clusters: [CLUSTER], clusterFor: () => fake, out: o.out });
    expect(code).toBe(0);
    expect(o.text()).toContain('kube-proxy iptables → ipvs');
    expect(o.text()).toContain('+  scheduler: "wrr"');
    expect(fake.calls.filter((c) => c.startsWith('patch') || c.startsWith('delete') || c.startsWith('ensureJob'))).toEqual([]);
  });

  it('exits 1 and shows the block when a node is NotReady; 2 on bad usage', async () => {
    const fake = new FakeCluster(aCluster({ nodes: [aNode('cp-1'), aNode('worker-1', { ready: false })] }));
    const o = capture();
    expect(await planCommand(['cluster-a'], { clusters: [CLUSTER], clusterFor: () => fake, out: o.out })).toBe(1);
    expect(o.text()).toMatch(/BLOCK\s+1 node\(s\) are NotReady: worker-1/);
    const bad = capture();
    expect(await planCommand(['cluster-b'], { clusters: [CLUSTER], clusterFor: () => fake, out: bad.out })).toBe(2);
    expect(bad.text()).toContain('unknown cluster "cluster-b"');
    expect(await planCommand(['cluster-a', '--cleanup', 'everything'], { clusters: [CLUSTER], clusterFor: () => fake, out: bad.out })).toBe(2);
  });
});
