// node-shapes.ts: the rehearsal keeps the plan's batches while rehearsing one node per shape.
import { describe, expect, it } from 'vitest';
import type { NodeInfo } from '../../../src/k8s/cluster.js';
import { reduceByShape } from '../../../src/workflows/rehearsal/node-shapes.js';

const node = (name: string, kernel = '6.1.0-27-amd64'): NodeInfo => ({
  name, uid: name, ready: true, kernelVersion: kernel, osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.22',
  kubeletVersion: 'v1.31.2', kubeProxyVersion: 'v1.31.2', labels: { 'kubernetes.io/hostname': name }, taints: [],
});

describe('reduceByShape', () => {
  it('keeps every batch, represents each shape once where it first appears, and maps members back', () => {
    const nodes = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'].map((n) => node(n, n === 'w5' ? '5.10.0-30-amd64' : undefined));
    const r = reduceByShape(nodes, { canary: 'w1', batches: [['w2', 'w3'], ['w4', 'w5'], ['w6']] });
    expect(r.rollout).toEqual({ canary: 'w1', batches: [['w2'], ['w5'], ['w6']] });
    expect(r.nodes.map((n) => n.name)).toEqual(['w1', 'w2', 'w5', 'w6']);
    expect(r.members.get('w1')).toEqual(['w1', 'w3', 'w4']);
    expect(r.members.get('w5')).toEqual(['w5']);
    expect(r.members.get('w6')).toEqual(['w6']);
  });

  it('a probed node without IPVS modules is its own shape', () => {
    const r = reduceByShape([node('a'), node('b')], { canary: 'a', batches: [['b']] }, { b: { ipvsModules: false } });
    expect(r.rollout.batches).toEqual([['b']]);
    expect(r.members.get('a')).toEqual(['a']);
  });
});
