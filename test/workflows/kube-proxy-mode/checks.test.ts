import { describe, expect, it } from 'vitest';
import { blockers, isBlocked, runChecks } from '../../../src/workflows/kube-proxy-mode/checks.js';
import { prepChecks } from '../../../src/workflows/kube-proxy-mode/rules/prep.js';
import { PrepResult } from '../../../src/workflows/kube-proxy-mode/node-results.js';
import { setProxyMode } from '../../../src/k8s/kube-proxy-config.js';
import { aCluster, aNode, anInput, KUBEADM_CONFIG_CONF, KUBEADM_WORKLOADS } from '../../fixtures/builders/cluster-facts.js';

const byId = (checks: ReturnType<typeof runChecks>, id: string) => checks.find((c) => c.id === id);

describe('src/workflows/kube-proxy-mode/checks', () => {
  it('passes a healthy kubeadm cluster in iptables mode, warning only that IPVS is on its way out', () => {
    const checks = runChecks(aCluster(), anInput());
    expect(blockers(checks)).toEqual([]);
    expect(byId(checks, 'ipvs-deprecated')?.verdict).toBe('warn');
    expect(byId(checks, 'ipvs-deprecated')?.message).toMatch(/nftables/);
    expect(byId(checks, 'nodes-ready')?.verdict).toBe('pass');
  });

  it.each([
    ['EKS', { labels: { 'eks.amazonaws.com/nodegroup': 'ng-1' } }],
    ['GKE', { labels: { 'cloud.google.com/gke-nodepool': 'default-pool' } }],
    ['AKS', { labels: { 'kubernetes.azure.com/agentpool': 'nodepool1' } }],
    ['k3s', { kubeletVersion: 'v1.28.7+k3s1' }],
    ['RKE2', { kubeletVersion: 'v1.28.7+rke2r1' }],
  ])('blocks a managed platform: %s', (name, over) => {
    const facts = aCluster({ nodes: [aNode('worker-1', over), aNode('worker-2')] });
    const c = byId(runChecks(facts, anInput()), 'managed-platform');
    expect(c?.verdict).toBe('block');
    expect(c?.message).toContain(name);
  });

  it('blocks when kube-proxy has no DaemonSet (embedded or replaced)', () => {
    const checks = runChecks(aCluster({ daemonSet: null }), anInput());
    expect(byId(checks, 'kube-proxy-daemonset')?.verdict).toBe('block');
  });

  it('blocks kernels older than 4.1 and names the nodes; notes nf_conntrack_ipv4 below 4.19', () => {
    const facts = aCluster({
      nodes: [
        aNode('cp-1'),
        aNode('worker-1', { kernelVersion: '3.10.0-1160.el7.x86_64' }),
        aNode('worker-2', { kernelVersion: '4.18.0-513.el8.x86_64' }),
      ],
    });
    const checks = runChecks(facts, anInput());
    expect(byId(checks, 'kernel-minimum')).toMatchObject({ verdict: 'block', nodes: ['worker-1'] });
    expect(byId(checks, 'kernel-conntrack')).toMatchObject({ verdict: 'warn', nodes: ['worker-2'] });
    expect(byId(checks, 'kernel-conntrack')?.message).toContain('nf_conntrack_ipv4');
  });

  it('warns that IPVS is deprecated on kube-proxy 1.35 and blocks it from 1.40', () => {
    const v135 = byId(runChecks(aCluster({ version: 'v1.35.1' }), anInput()), 'ipvs-deprecated');
    expect(v135?.verdict).toBe('warn');
    expect(v135?.message).toMatch(/deprecated upstream.*nftables/);
    expect(byId(runChecks(aCluster({ version: 'v1.40.0' }), anInput()), 'ipvs-deprecated')?.verdict).toBe('block');
  });

  it('blocks MetalLB or kube-vip without --strict-arp and accepts them with it', () => {
    const workloads = [...KUBEADM_WORKLOADS, { namespace: 'metallb-system', kind: 'DaemonSet', name: 'speaker', image: 'quay.io/metallb/speaker:v0.14.8' }];
    expect(byId(runChecks(aCluster({ workloads }), anInput()), 'strict-arp')?.verdict).toBe('block');
    expect(byId(runChecks(aCluster({ workloads }), anInput({ strictArp: true })), 'strict-arp')?.verdict).toBe('warn');
    const kubeVip = [...KUBEADM_WORKLOADS, { namespace: 'kube-system', kind: 'DaemonSet', name: 'kube-vip-ds', image: 'ghcr.io/kube-vip/kube-vip:v0.8.0' }];
    expect(byId(runChecks(aCluster({ workloads: kubeVip }), anInput()), 'strict-arp')?.message).toContain('kube-vip');
  });

  it('warns that calico-node is restarted per node, and that kubespray will revert the change', () => {
    const workloads = [
      ...KUBEADM_WORKLOADS,
      { namespace: 'kube-system', kind: 'DaemonSet', name: 'calico-node', image: 'quay.io/calico/node:v3.27.0' },
      { namespace: 'kube-system', kind: 'DaemonSet', name: 'nodelocaldns', image: 'registry.k8s.io/dns/k8s-dns-node-cache:1.22.28' },
    ];
    const checks = runChecks(aCluster({ workloads }), anInput());
    expect(byId(checks, 'calico')?.verdict).toBe('warn');
    expect(byId(checks, 'kubespray')?.message).toContain('kube_proxy_mode: ipvs');
    expect(isBlocked(checks)).toBe(false);
  });

  it('blocks NotReady nodes and names them', () => {
    const facts = aCluster({ nodes: [aNode('cp-1'), aNode('worker-1', { ready: false }), aNode('worker-2'), aNode('worker-3', { ready: false })] });
    const c = byId(runChecks(facts, anInput()), 'nodes-ready');
    expect(c).toMatchObject({ verdict: 'block', nodes: ['worker-1', 'worker-3'] });
    expect(c?.message).toContain('worker-1, worker-3');
  });

  it('blocks when kube-proxy is already in the target mode', () => {
    const ipvs = setProxyMode(KUBEADM_CONFIG_CONF, { mode: 'ipvs' });
    expect(byId(runChecks(aCluster({ configConf: ipvs }), anInput()), 'already-target')?.verdict).toBe('block');
    expect(byId(runChecks(aCluster({ configConf: ipvs }), anInput({ targetMode: 'iptables' })), 'already-target')?.verdict).toBe('pass');
  });

  it('blocks an unreadable config.conf instead of guessing', () => {
    const c = byId(runChecks(aCluster({ configConf: 'kind: Something\nmode: ipvs\n' }), anInput()), 'kube-proxy-config');
    expect(c?.verdict).toBe('block');
    expect(c?.message).toContain('KubeProxyConfiguration');
  });

  it('blocks nftables on kernels older than 5.13', () => {
    const facts = aCluster({ version: 'v1.33.0', nodes: [aNode('worker-1', { kernelVersion: '5.10.0-28-amd64' }), aNode('worker-2')] });
    expect(byId(runChecks(facts, anInput({ targetMode: 'nftables' })), 'kernel-nftables')).toMatchObject({ verdict: 'block', nodes: ['worker-1'] });
  });

  it('blocks while kube-proxy pods are unavailable', () => {
    const facts = aCluster();
    facts.daemonSet!.status.numberUnavailable = 1;
    facts.daemonSet!.status.numberAvailable = 2;
    expect(byId(runChecks(facts, anInput()), 'kube-proxy-healthy')?.verdict).toBe('block');
  });

  it('prep results: a node missing IPVS modules blocks the run and is named', () => {
    const results = {
      'worker-1': PrepResult.parse({ ok: true, errors: [], modules: { ip_vs: 'loaded', ip_vs_rr: 'loaded' } }),
      'worker-2': PrepResult.parse({ ok: false, errors: ['kernel module ip_vs_sh could not be loaded'], modules: { ip_vs: 'loaded', ip_vs_sh: 'missing' } }),
    };
    const checks = prepChecks(results, anInput());
    expect(checks.find((c) => c.id === 'prep-modules')).toMatchObject({ verdict: 'block', nodes: ['worker-2'] });
    expect(checks.find((c) => c.id === 'prep-details')?.message).toContain('worker-2: missing ip_vs_sh');
  });

  it('prep results: foreign IPVS services block --cleanup kube-proxy but not targeted cleanup', () => {
    const results = { 'worker-1': PrepResult.parse({ ok: true, errors: [], modules: {}, foreignIpvsServicesCount: 2 }) };
    expect(prepChecks(results, anInput({ cleanup: 'kube-proxy' })).find((c) => c.id === 'prep-foreign-ipvs')?.verdict).toBe('block');
    expect(isBlocked(prepChecks(results, anInput()))).toBe(false);
  });
});
