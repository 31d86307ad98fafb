import { describe, expect, it } from 'vitest';
import { setProxyMode } from '../../../src/k8s/kube-proxy-config.js';
import { advise, adviseFromFacts, configExtras, recommendationLine, type AdviceInput } from '../../../src/workflows/kube-proxy-mode/advice.js';
import { aCluster, aNode, KUBEADM_CONFIG_CONF, KUBEADM_WORKLOADS } from '../../fixtures/builders/cluster-facts.js';

const NODES = [
  { name: 'cp-1', kernelVersion: '6.1.0-27-amd64' },
  { name: 'worker-1', kernelVersion: '5.15.0-91-generic' },
  { name: 'worker-2', kernelVersion: '6.8.0-45-generic' },
];

const base = (over: Partial<AdviceInput> = {}): AdviceInput => ({
  version: 'v1.33.2', currentMode: 'iptables', nodes: NODES, workloads: KUBEADM_WORKLOADS, services: [], ...over,
});

const joined = (w: string[]) => w.join('\n');

describe('src/workflows/kube-proxy-mode/advice', () => {
  it('1.30 cluster: recommends staying on iptables (nftables needs 1.31+), and says when IPVS gets deprecated', () => {
    const a = advise(base({ version: 'v1.30.4', targetMode: 'ipvs' }));
    expect(a.recommendation.mode).toBe('iptables');
    expect(a.recommendation.reason).toMatch(/1\.30 predates nftables beta \(1\.31, GA in 1\.33\)/);
    const w = joined(a.warnings);
    expect(w).toMatch(/kube-proxy 1\.30: IPVS mode is deprecated upstream from 1\.35 \(KEP-5495\), planned off by default in 1\.40 and removed in 1\.43/);
    expect(w).not.toMatch(/IPVSDeprecation/);
    expect(w).not.toMatch(/KubeProxyIPVS/);
    expect(recommendationLine(a)).toMatch(/^Recommended: iptables \(kube-proxy 1\.30 predates/);
  });

  it('1.35 cluster: warns IPVS is deprecated (error log + IPVSDeprecation event) and recommends nftables', () => {
    const a = advise(base({ version: 'v1.35.0', targetMode: 'ipvs' }));
    expect(a.recommendation.mode).toBe('nftables');
    expect(a.recommendation.reason).toMatch(/kernel 5\.13 or later and kube-proxy 1\.35 has nftables GA/);
    expect(a.recommendation.reason).toMatch(/replacement for the deprecated IPVS mode/);
    const w = joined(a.warnings);
    expect(w).toMatch(/kube-proxy 1\.35: IPVS mode is deprecated \(KEP-5495\).*IPVSDeprecation Warning event/);
    expect(w).not.toMatch(/featureGates/);
  });

  it('1.40 cluster: notes the KubeProxyIPVS feature gate IPVS needs (default off), or that config.conf sets it', () => {
    const off = joined(advise(base({ version: 'v1.40.1', targetMode: 'ipvs' })).warnings);
    expect(off).toMatch(/kube-proxy 1\.40: IPVS mode is off by default from 1\.40 and needs featureGates: \{KubeProxyIPVS: true\}/);
    const on = joined(advise(base({ version: 'v1.40.1', targetMode: 'ipvs', ipvsFeatureGate: true })).warnings);
    expect(on).toMatch(/re-enables it with featureGates KubeProxyIPVS: true/);
    expect(joined(advise(base({ version: 'v1.43.0', currentMode: 'ipvs' })).warnings)).toMatch(/planned to be removed in 1\.43/);
    expect(advise(base({ version: 'v1.40.1', targetMode: 'ipvs' })).recommendation.mode).toBe('nftables');
  });

  it('names the nodes whose kernel is too old for nftables and recommends iptables, not IPVS', () => {
    const nodes = [...NODES, { name: 'worker-3', kernelVersion: '5.10.0-28-amd64' }, { name: 'worker-4', kernelVersion: '4.18.0-513.el8.x86_64' }];
    const a = advise(base({ version: 'v1.35.0', nodes, targetMode: 'nftables' }));
    expect(a.nftablesKernels).toEqual({ ok: 3, tooOld: ['worker-3', 'worker-4'], unknown: [] });
    expect(a.recommendation.mode).toBe('iptables');
    expect(a.recommendation.reason).toMatch(/2 of 5 nodes run a kernel older than 5\.13 \(worker-3, worker-4\).*iptables, not IPVS/);
    expect(joined(a.warnings)).toMatch(/3 of 5 nodes qualify; too old: worker-3 \(5\.10\.0-28-amd64\), worker-4 \(4\.18\.0-513\.el8\.x86_64\)/);
  });

  it('when every kernel qualifies it says so; an unreadable kernel keeps the recommendation at iptables', () => {
    expect(joined(advise(base()).warnings)).toMatch(/Every node's kernel \(3 nodes\) allows nftables/);
    const a = advise(base({ nodes: [...NODES, { name: 'odd', kernelVersion: 'unknown' }] }));
    expect(a.recommendation.mode).toBe('iptables');
    expect(a.nftablesKernels.unknown).toEqual(['odd']);
  });

  it('warns about localhost NodePorts when leaving iptables, unless config.conf already turned them off', () => {
    expect(joined(advise(base({ targetMode: 'nftables' })).warnings)).toMatch(/127\.0\.0\.1.*kubeproxy_iptables_localhost_nodeports_accepted_packets_total/);
    expect(joined(advise(base({ targetMode: 'nftables', localhostNodePorts: false })).warnings)).not.toMatch(/127\.0\.0\.1/);
    expect(joined(advise(base({ currentMode: 'nftables', targetMode: 'iptables' })).warnings)).not.toMatch(/127\.0\.0\.1/);
  });

  it('lists externalTrafficPolicy: Local LoadBalancers for IPVS and the nftables NodePort caveat', () => {
    const services = [
      { namespace: 'shop', name: 'web', type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      { namespace: 'shop', name: 'api', type: 'LoadBalancer', externalTrafficPolicy: 'Cluster' },
    ];
    const ipvs = joined(advise(base({ targetMode: 'ipvs', services })).warnings);
    expect(ipvs).toMatch(/externalTrafficPolicy: Local \(shop\/web\).*#93456/);
    expect(ipvs).not.toMatch(/shop\/api/);
    const nft = joined(advise(base({ targetMode: 'nftables', services })).warnings);
    expect(nft).toMatch(/nodePortAddresses: primary/);
    expect(nft).toMatch(/shop\/web/);
  });

  it('CNI notes: Cilium replacement, Calico restart, MetalLB strictARP for IPVS, CNI compatibility for nftables', () => {
    const workloads = [...KUBEADM_WORKLOADS,
      { namespace: 'kube-system', kind: 'DaemonSet', name: 'calico-node', image: 'calico/node:v3.28.0' },
      { namespace: 'kube-system', kind: 'DaemonSet', name: 'cilium', image: 'quay.io/cilium/cilium:v1.16.0' },
      { namespace: 'metallb-system', kind: 'DaemonSet', name: 'speaker', image: 'quay.io/metallb/speaker:v0.14.8' }];
    const ipvs = joined(advise(base({ targetMode: 'ipvs', workloads })).warnings);
    expect(ipvs).toMatch(/Cilium runs here/);
    expect(ipvs).toMatch(/Calico runs here/);
    expect(ipvs).toMatch(/strictARP/);
    expect(joined(advise(base({ targetMode: 'nftables', workloads })).warnings)).toMatch(/CNI and its NetworkPolicy implementation/);
  });

  it('an empty mode in config.conf: says which default kube-proxy picks, and that KEP-5343 plans nftables from 1.40', () => {
    expect(joined(advise(base({ modeUnset: true })).warnings)).toMatch(/sets no mode.*iptables today, nftables from 1\.40 as KEP-5343 plans/);
    expect(joined(advise(base({ version: 'v1.40.0', modeUnset: true })).warnings)).toMatch(/kube-proxy 1\.40 may default to nftables.*check \/proxyMode/);
    expect(joined(advise(base()).warnings)).not.toMatch(/sets no mode/);
    // The kubeadm default config.conf has mode: "".
    expect(joined(adviseFromFacts(aCluster()).warnings)).toMatch(/sets no mode/);
  });

  it('says when there is no kube-proxy DaemonSet to apply the advice to', () => {
    expect(adviseFromFacts(aCluster({ daemonSet: null })).warnings[0]).toMatch(/^No kube-system\/kube-proxy DaemonSet/);
    expect(joined(adviseFromFacts(aCluster()).warnings)).not.toMatch(/No kube-system\/kube-proxy DaemonSet/);
  });

  it('reads the kube-proxy version from the DaemonSet image and the feature gate from config.conf', () => {
    const withGate = `${setProxyMode(KUBEADM_CONFIG_CONF, { mode: 'ipvs' })}\nfeatureGates:\n  KubeProxyIPVS: true\n`;
    expect(configExtras(withGate)).toEqual({ ipvsFeatureGate: true });
    const facts = aCluster({ version: 'v1.40.0', configConf: withGate, nodes: [aNode('cp-1'), aNode('worker-1', { kernelVersion: '5.10.0-28-amd64' })] });
    const a = adviseFromFacts(facts);
    expect(joined(a.warnings)).toMatch(/kube-proxy 1\.40: .*re-enables it/);
    expect(a.recommendation).toMatchObject({ mode: 'iptables' });
    expect(a.recommendation.reason).toMatch(/worker-1/);
  });
});
