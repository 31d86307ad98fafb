import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toDaemonSetInfo, toNodeInfo } from '../../../src/k8s/k8s-objects.js';
import { daemonSetCoverage } from '../../../src/workflows/kube-proxy-mode/node-coverage.js';

// The kube-proxy DaemonSet and a node exactly as a real kube-apiserver v1.28.7 returned them (kubeadm's manifest:
// nodeSelector kubernetes.io/os=linux, tolerations [{operator: Exists}]).
const fixture = (p: string) => (JSON.parse(readFileSync(new URL(`../../sandbox/contract/fixtures/${p}`, import.meta.url), 'utf8')) as { response: { body: unknown } }).response.body;
const kubeadmDs = fixture('kubeadm/daemonset-kube-proxy.json') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const worker = fixture('nodes/get-k8s-worker-1.json') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const node = (name: string, patch: { labels?: Record<string, string>; taints?: unknown[]; os?: string } = {}) => toNodeInfo({
  ...worker,
  metadata: { ...worker.metadata, name, labels: { ...worker.metadata.labels, 'kubernetes.io/hostname': name, ...patch.labels } },
  spec: { ...worker.spec, ...(patch.taints ? { taints: patch.taints } : {}) },
  status: { ...worker.status, nodeInfo: { ...worker.status.nodeInfo, ...(patch.os ? { operatingSystem: patch.os } : {}) } },
});
const dsWith = (spec: Record<string, unknown>) => toDaemonSetInfo({
  ...kubeadmDs, spec: { ...kubeadmDs.spec, template: { ...kubeadmDs.spec.template, spec: { ...kubeadmDs.spec.template.spec, ...spec } } },
});

describe('src/workflows/kube-proxy-mode/node-coverage', () => {
  it("skips a Windows node by kubeadm's nodeSelector and keeps every Linux node, tainted or cordoned", () => {
    const nodes = [
      node('k8s-worker-1'),
      node('k8s-cp-1', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }),
      node('win-1', { labels: { 'kubernetes.io/os': 'windows' }, os: 'windows' }),
    ];
    const { covered, skipped } = daemonSetCoverage(toDaemonSetInfo(kubeadmDs), nodes);
    expect(covered.map((n) => n.name)).toEqual(['k8s-worker-1', 'k8s-cp-1']);
    expect(skipped).toEqual([{ node: 'win-1', reason: expect.stringMatching(/nodeSelector kubernetes\.io\/os=linux; the node has kubernetes\.io\/os=windows/) }]);
  });

  it('skips nodes outside a custom nodeSelector or required node affinity, and untolerated taints', () => {
    const nodes = [
      node('a', { labels: { 'proxy': 'yes' } }),
      node('b'),
      node('c', { labels: { 'proxy': 'yes' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      node('d', { labels: { 'proxy': 'yes' }, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'soft', effect: 'PreferNoSchedule' }] }),
    ];
    const ds = dsWith({
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'proxy', operator: 'In', values: ['yes'] }] }] } } },
      tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
    });
    const { covered, skipped } = daemonSetCoverage(ds, nodes);
    // d: the DaemonSet controller tolerates unschedulable by itself; PreferNoSchedule never keeps a daemon pod away.
    expect(covered.map((n) => n.name)).toEqual(['a', 'd']);
    expect(skipped.map((s) => s.node)).toEqual(['b', 'c']);
    expect(skipped[0]!.reason).toMatch(/required node affinity/);
    expect(skipped[1]!.reason).toMatch(/taint dedicated=gpu:NoSchedule/);
  });

  it('skips a Windows node even when the DaemonSet would run there', () => {
    const { skipped } = daemonSetCoverage(dsWith({ nodeSelector: undefined }), [node('win-1', { labels: { 'kubernetes.io/os': 'windows' } })]);
    expect(skipped[0]!.reason).toMatch(/Windows node/);
  });
});
